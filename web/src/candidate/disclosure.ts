// Step 2: who interviews (an AI), what is recorded and who reads it; consent before anything.
import { messageOf } from '../api';
import type { InvitePage } from '../types';
import { busy, h, paragraphs } from '../ui';

export interface DisclosureStep {
  element: HTMLElement;
}

/**
 * The welcome and disclosure. `consent` records the consent and resolves when the page may
 * move on; a rejection is shown next to the button.
 */
export function disclosureStep(
  invite: InvitePage,
  consent: (version: string) => Promise<void>,
): DisclosureStep {
  const checkbox = h('input', {
    type: 'checkbox',
    id: 'consent-checkbox',
    testid: 'consent-checkbox',
  });
  const continueButton = h(
    'button',
    { type: 'button', class: 'primary', testid: 'consent-continue', disabled: true },
    'Continue',
  );
  const error = h('p', { class: 'error', role: 'alert' });
  checkbox.addEventListener('change', () => {
    continueButton.disabled = !checkbox.checked;
  });
  continueButton.addEventListener('click', () => {
    if (!checkbox.checked) return;
    error.textContent = '';
    busy(continueButton, () => consent(invite.disclosure.version)).catch((err: unknown) => {
      error.textContent = messageOf(err);
    });
  });

  const role = invite.role_title ?? invite.position ?? 'Interview';
  const greeting = invite.candidate_name ? `Welcome, ${invite.candidate_name}` : 'Welcome';
  const text = h('div', { class: 'disclosure-text', lang: invite.language }, ...paragraphs(invite.disclosure.text));

  const element = h(
    'section',
    { class: 'card', testid: 'disclosure', 'aria-labelledby': 'disclosure-title' },
    h('p', { class: 'eyebrow' }, greeting),
    h('h1', { id: 'disclosure-title' }, "You'll be interviewed by an AI interviewer"),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Role'), h('dd', { testid: 'role-title' }, role)),
      h(
        'div',
        {},
        h('dt', {}, 'Duration'),
        h('dd', { testid: 'duration' }, `${invite.duration_minutes} minutes`),
      ),
    ),
    h('h2', {}, 'Before you start'),
    text,
    h(
      'div',
      { class: 'consent' },
      checkbox,
      h(
        'label',
        { for: 'consent-checkbox' },
        'I have read the above and agree to be interviewed by an AI interviewer, ' +
          'with my answers transcribed, scored and shared with the hiring team.',
      ),
    ),
    h('div', { class: 'actions' }, continueButton),
    error,
  );
  return { element };
}
