// The microphone is refused (the `mic-denied` project: no fake permission UI and no granted
// permission, so Chromium answers getUserMedia with NotAllowedError): the device check
// explains how to allow it and offers to try again, and nobody can join without a microphone.
import { expect, test } from '@playwright/test';
import { Recruiter } from './support/api';
import { capture } from './support/capture';
import { consent } from './support/candidate';

test('a refused microphone gets guidance, not a join button', async ({ page, request }) => {
  const recruiter = await Recruiter.register(request, 'denied');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId);
  await page.goto(invite.path);
  await consent(page);
  const denied = page.getByTestId('mic-denied');
  await expect(denied).toBeVisible({ timeout: 15_000 });
  await expect(denied).toContainText(/microphone/i);
  await expect(denied).toContainText(/site settings|settings/i);
  const retry = denied.getByRole('button', { name: /try again/i });
  await expect(retry).toBeVisible();
  await expect(page.locator('[data-testid="join-button"]:enabled')).toHaveCount(0);
  await capture(page, 'mic-denied');
  // Trying again while it is still refused keeps the guidance on screen.
  await retry.click();
  await expect(page.getByTestId('mic-denied')).toBeVisible({ timeout: 10_000 });
  await recruiter.endQuietly(interviewId);
});
