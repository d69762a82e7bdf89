// What happens to a candidate already in the room: the same link joined from a second tab
// takes the interview over (the first tab says so, without reconnecting); a network drop
// shows the reconnect banner until the connection is back; mute, and leaving on purpose.
import { expect, test } from '@playwright/test';
import { readInvite, Recruiter } from './support/api';
import { capture } from './support/capture';
import { installProbe, openAndJoin, readProbe } from './support/candidate';

test('a second tab takes the interview over; the first says where it went', async ({
  context,
  request,
}) => {
  test.setTimeout(120_000);
  const recruiter = await Recruiter.register(request, 'tabs');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId);
  try {
    const first = await context.newPage();
    await openAndJoin(first, invite.path);
    // The second tab skips the disclosure (consent is on record) and joins.
    const second = await context.newPage();
    await openAndJoin(second, invite.path);
    const moved = first.getByTestId('moved-elsewhere');
    await expect(moved).toBeVisible({ timeout: 20_000 });
    await expect(moved).toContainText(/another tab or device/i);
    await expect(first.getByTestId('end-screen')).toHaveCount(0);
    await expect(first.getByTestId('reconnect-banner')).toBeHidden();
    await first.bringToFront();
    await capture(first, 'moved-elsewhere');
    // The second tab is the one in the interview: the agent hears the candidate there, and
    // the interview goes on (no reconnect loop took the room back for the first tab). The
    // first tab left before its microphone's first words (14 s of silence open the file),
    // so any answer captioned here was heard from the second tab's microphone.
    await second.bringToFront();
    await expect(second.getByTestId('agent-state')).toBeVisible();
    const heard = second.locator('[data-testid="caption"][data-side="candidate"]').first();
    await expect(heard).not.toBeEmpty({ timeout: 45_000 });
    await expect(second.getByTestId('moved-elsewhere')).toHaveCount(0);
    await expect(second.getByTestId('end-screen')).toHaveCount(0);
    await expect(first.getByTestId('moved-elsewhere')).toBeVisible();
    await expect(first.getByTestId('agent-state')).toHaveCount(0);
    const state = await recruiter.get<{ status: string }>(`/api/v1/interviews/${interviewId}`);
    expect(state.status).toBe('in_progress');
  } finally {
    await recruiter.endQuietly(interviewId);
  }
});

test('a network drop shows the reconnect banner until it is back; mute; leave', async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(120_000);
  const recruiter = await Recruiter.register(request, 'offline');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId);
  try {
    await installProbe(page);
    await openAndJoin(page, invite.path);
    await expect(page.getByTestId('reconnect-banner')).toBeHidden();
    // Chromium's offline emulation stalls the open signal WebSocket as well as new requests:
    // livekit-client notices by its ping timeout (about 15 s) and reports SignalReconnecting.
    await context.setOffline(true);
    const banner = page.getByTestId('reconnect-banner');
    await expect(banner).toBeVisible({ timeout: 40_000 });
    await expect(banner).toHaveAttribute('role', 'alert');
    await capture(page, 'reconnect-banner');
    await context.setOffline(false);
    await expect(banner).toBeHidden({ timeout: 30_000 });
    // The room works again: a new utterance's caption arrives.
    const before = (await readProbe(page)).captionsAdded;
    await expect
      .poll(async () => (await readProbe(page)).captionsAdded, {
        timeout: 45_000,
        message: 'a new caption after the connection is back',
      })
      .toBeGreaterThan(before);
    await expect(page.getByTestId('agent-state')).toBeVisible();
    await expect(page.getByTestId('end-screen')).toHaveCount(0);
    await expect(page.getByTestId('moved-elsewhere')).toHaveCount(0);

    // Mute toggles; Leave asks first, then ends the interview for the candidate.
    const mute = page.getByTestId('mute-button');
    await mute.click();
    await expect(mute).toHaveAttribute('aria-pressed', 'true');
    await mute.click();
    await expect(mute).toHaveAttribute('aria-pressed', 'false');
    await page.getByTestId('leave-button').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await capture(page, 'leave-confirm');
    await dialog.getByRole('button', { name: /leave/i }).click();
    const end = page.getByTestId('end-screen');
    await expect(end).toBeVisible({ timeout: 15_000 });
    await expect(end).toContainText('You left the interview');
    await capture(page, 'end-screen-left');
    // The agent records the early end: the link is over.
    await expect
      .poll(async () => (await readInvite(request, invite.token)).status, {
        timeout: 30_000,
        message: 'GET /invites/{token} answers 410 once the candidate left',
      })
      .toBe(410);
  } finally {
    await context.setOffline(false);
    await recruiter.endQuietly(interviewId);
  }
});
