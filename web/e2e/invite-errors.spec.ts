// Links that do not lead into an interview: malformed or unknown, expired, and over.
import { expect, test } from '@playwright/test';
import { readInvite, Recruiter } from './support/api';
import { capture } from './support/capture';

const TEXT = {
  invalid: 'This invite link is not valid.',
  expired: 'This invite link has expired. Ask your recruiter for a new one.',
  ended: 'This interview is over. Thank you.',
};

test('an unknown or malformed link is invalid', async ({ page, request }) => {
  const unknown = await readInvite(request, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  expect(unknown.status).toBe(404);
  for (const path of ['/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/i/not%20a%20token!']) {
    await page.goto(path);
    const error = page.getByTestId('invite-error');
    await expect(error).toHaveAttribute('data-reason', 'invalid', { timeout: 15_000 });
    await expect(error).toContainText(TEXT.invalid);
  }
  await capture(page, 'invite-error-invalid');
});

test('a link of an interview that is over says so', async ({ page, request }) => {
  const recruiter = await Recruiter.register(request, 'ended');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId);
  await recruiter.complete(interviewId);
  const answer = await readInvite(request, invite.token);
  expect(answer.status).toBe(410);
  expect(answer.body.reason).toBe('ended');
  await page.goto(invite.path);
  const error = page.getByTestId('invite-error');
  await expect(error).toHaveAttribute('data-reason', 'ended', { timeout: 15_000 });
  await expect(error).toContainText(TEXT.ended);
  await capture(page, 'invite-error-ended');
});

test('an expired link says so', async ({ page, request }) => {
  const recruiter = await Recruiter.register(request, 'expired');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId, { expires_in_seconds: 1 });
  await expect
    .poll(async () => {
      const answer = await readInvite(request, invite.token);
      return `${answer.status} ${String(answer.body.reason ?? '')}`;
    }, { timeout: 10_000, message: 'GET /invites/{token} answers 410 expired' })
    .toBe('410 expired');
  await page.goto(invite.path);
  const error = page.getByTestId('invite-error');
  await expect(error).toHaveAttribute('data-reason', 'expired', { timeout: 15_000 });
  await expect(error).toContainText(TEXT.expired);
  await capture(page, 'invite-error-expired');
  await recruiter.endQuietly(interviewId);
});
