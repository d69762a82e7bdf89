// The candidate page's terminal and waiting screens.
import { h, type Child } from '../ui';
import type { InviteErrorReason } from './invite';

const INVITE_ERRORS: Record<InviteErrorReason, { title: string; text: string }> = {
  expired: {
    title: 'This link has expired',
    text: 'This invite link has expired. Ask your recruiter for a new one.',
  },
  ended: { title: 'This interview is over', text: 'This interview is over. Thank you.' },
  invalid: { title: 'This link does not work', text: 'This invite link is not valid.' },
};

function card(testid: string, title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: 'card screen', testid }, h('h1', {}, title), ...body);
}

export function loadingScreen(text: string): HTMLElement {
  return h(
    'section',
    { class: 'card screen', 'aria-busy': 'true' },
    h('h1', {}, 'AI interview'),
    h('p', { role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text),
  );
}

export function inviteErrorScreen(reason: InviteErrorReason): HTMLElement {
  const { title, text } = INVITE_ERRORS[reason];
  const el = card('invite-error', title, h('p', { class: 'lead' }, text));
  el.dataset['reason'] = reason;
  return el;
}

/** A failure that is not about the link itself (network, server): offer to try again. */
export function loadErrorScreen(message: string, retry: () => void): HTMLElement {
  return card(
    'load-error',
    'We could not load your interview',
    h('p', { role: 'alert' }, message),
    h('button', { type: 'button', class: 'primary', on: { click: retry } }, 'Try again'),
  );
}

export type EndReason = 'completed' | 'left';

export function endScreen(reason: EndReason): HTMLElement {
  const el = card(
    'end-screen',
    reason === 'left' ? 'You left the interview' : 'Thank you, the interview is over',
    h(
      'p',
      { class: 'lead' },
      reason === 'left'
        ? 'You left the interview. Thank you for your time.'
        : 'Thank you for talking with us. You can close this page.',
    ),
    h('h2', {}, 'What happens next'),
    h(
      'p',
      {},
      'The hiring team that invited you receives a report of the conversation. ' +
        'They review it and will get in touch with you about the next steps.',
    ),
  );
  el.dataset['reason'] = reason;
  return el;
}

export function movedElsewhereScreen(): HTMLElement {
  return card(
    'moved-elsewhere',
    'This interview continued in another tab or device',
    h(
      'p',
      { class: 'lead' },
      'This interview continued in another tab or device. You can close this page.',
    ),
    h('p', {}, 'If that was not you, reload this page to take the interview back here.'),
  );
}

export function connectionLostScreen(message: string, rejoin: () => void): HTMLElement {
  return card(
    'connection-lost',
    'The connection was lost',
    h('p', { role: 'alert' }, message),
    h('button', { type: 'button', class: 'primary', on: { click: rejoin } }, 'Rejoin the interview'),
  );
}
