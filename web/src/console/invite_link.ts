// An invite link just made: shown once in a read-only box with a Copy button.
import { messageOf } from '../api';
import type { CreatedInvite } from '../types';
import { dateTime, h } from '../ui';
import type { Context } from './app';

/** Three days, the server's default too. */
export const INVITE_MINUTES = 3 * 24 * 60;

export function createInvite(ctx: Context, interviewId: string): Promise<CreatedInvite> {
  return ctx.session.api<CreatedInvite>(`/interviews/${encodeURIComponent(interviewId)}/invites`, {
    json: { expires_in_minutes: INVITE_MINUTES },
  });
}

export function inviteLink(invite: CreatedInvite): HTMLElement {
  const input = h('input', {
    id: `invite-${invite.id}`,
    testid: 'invite-link',
    type: 'text',
    readonly: true,
    value: invite.url,
    spellcheck: false,
  });
  input.addEventListener('focus', () => input.select());
  const status = h('span', { class: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'secondary', testid: 'copy-invite' }, 'Copy');
  copy.addEventListener('click', () => {
    copyText(input)
      .then((copied) => {
        status.textContent = copied ? 'Copied' : 'Selected: press Ctrl+C (or ⌘C) to copy';
      })
      .catch((err: unknown) => {
        status.textContent = messageOf(err);
      });
  });
  return h(
    'div',
    { class: 'invite' },
    h('label', { for: input.id }, 'Invite link for the candidate'),
    h('div', { class: 'copy-row' }, input, copy),
    status,
    h(
      'p',
      { class: 'hint' },
      `This link is shown only once; it expires ${dateTime(invite.expires_at)}. ` +
        'You can create a new one at any time from the interview page.',
    ),
  );
}

/** Copies the input's text; falls back to selecting it. Resolves whether it was copied. */
async function copyText(input: HTMLInputElement): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      return true;
    } catch {
      // Permission refused: fall through to the selection.
    }
  }
  input.focus();
  input.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
