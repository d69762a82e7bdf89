// The happy path end to end: a recruiter sets up a two-minute interview through the API, the
// candidate takes it in the browser (disclosure, consent, device check, the agent's voice
// and captions, their own words, a nudge), the agent closes it, and the recruiter reads the
// transcript and the evidence-linked report in the console.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readInvite, Recruiter, ROLE } from './support/api';
import { capture } from './support/capture';
import { resumePdf } from './support/pdf';
import {
  consent,
  installProbe,
  passDeviceCheck,
  readProbe,
  tabTo,
  watchErrors,
} from './support/candidate';

/** The parts of `GET /interviews/{id}/report` the test reads. */
interface ReportAnswer {
  evaluation: {
    status: string;
    report: { dimensions: { evidence: { turn: number; quote: string }[] }[] } | null;
  } | null;
}

/** Waits out the live interview: the code editor (if the coding phase comes) then the end. */
async function untilEnd(page: Page): Promise<void> {
  const editor = page.getByTestId('code-editor');
  const end = page.getByTestId('end-screen');
  // The agent closes at about 90 % of two minutes and never runs past them.
  await expect(editor.or(end)).toBeVisible({ timeout: 150_000 });
  if (await editor.isVisible()) {
    await capture(page, 'code-editor');
    const content = editor.locator('.cm-content');
    await content.click();
    await page.keyboard.type('def total(xs):\n    return sum(xs)');
    await page.getByTestId('code-submit').click();
    await expect(page.getByTestId('code-status')).toContainText('Submitted', { timeout: 10_000 });
  }
  await expect(end).toBeVisible({ timeout: 150_000 });
}

/** Follows an interview row's link (the row may be the link itself). */
async function openRow(row: Locator): Promise<void> {
  const tag = await row.evaluate((el) => el.tagName);
  if (tag === 'A') await row.click();
  else await row.getByRole('link').first().click();
}

test('candidate takes the interview; recruiter reads transcript and report', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(300_000);
  const recruiter = await Recruiter.register(request, 'happy');
  const roleId = await recruiter.createRole();
  const resumeId = await recruiter.uploadResume();
  const interviewId = await recruiter.createInterview(roleId, resumeId);
  const invite = await recruiter.createInvite(interviewId);
  const before = await readInvite(request, invite.token);
  expect(before.status, JSON.stringify(before.body)).toBe(200);
  expect(before.body.status).toBe('scheduled');

  // The candidate.
  const errors = watchErrors(page);
  await installProbe(page);
  await page.goto(invite.path);
  // Keyboard alone up to the interview; the Enter on Join is the user gesture for audio
  // (the probe times the join from that key's click event). The device check waits for the
  // fake microphone's speech, so the candidate's first answer comes about 14 s after joining:
  // after the agent's disclosure, which the candidate hears out.
  await consent(page, 'disclosure', true);
  await passDeviceCheck(page, true, 'device-check');
  await tabTo(page, page.getByTestId('join-button'));
  await page.keyboard.press('Enter');

  const agentState = page.getByTestId('agent-state');
  await expect(agentState).toBeVisible({ timeout: 20_000 });
  const agentCaption = page.locator('[data-testid="caption"][data-side="agent"]').first();
  await expect(agentCaption).not.toBeEmpty({ timeout: 60_000 });
  await expect(page.getByTestId('captions')).toHaveAttribute('aria-live', 'polite');
  await expect(page.getByTestId('phase')).toHaveAttribute('data-phase', /.+/);
  await expect(page.getByTestId('time-left')).toHaveText(/^\d{1,2}:\d{2}$/);
  await expect(page.getByTestId('mute-button')).toHaveAttribute('aria-pressed', 'false');
  const first = await readProbe(page);
  expect(first.join, 'join click seen').not.toBeNull();
  expect(first.firstAgentCaption, 'first agent caption seen').not.toBeNull();
  const joinToCaption = (first.firstAgentCaption ?? 0) - (first.join ?? 0);
  console.log(
    `BROWSER-FIGURE join_to_first_agent_caption_ms=${Math.round(joinToCaption)} ` +
      `open_to_first_agent_caption_ms=${Math.round(first.firstAgentCaption ?? 0)} ` +
      `open_to_join_click_ms=${Math.round(first.join ?? 0)}`,
  );
  await capture(page, 'in-room');

  // The agent's state changes while it speaks and listens.
  await expect
    .poll(async () => new Set((await readProbe(page)).agentStates.map((s) => s.state)).size, {
      timeout: 60_000,
      message: 'agent-state data-state takes at least two values',
    })
    .toBeGreaterThanOrEqual(2);

  // The candidate's own words, from the fake microphone through the recognizer.
  const candidateCaption = page.locator('[data-testid="caption"][data-side="candidate"]').first();
  await expect(candidateCaption).not.toBeEmpty({ timeout: 60_000 });

  // Nudges: each a status, never a dialog, dismissed by the candidate; the one that matters
  // here comes in the quiet stretch after a question (long_silence). Others may come first.
  const nudgeKinds: string[] = [];
  for (let i = 0; i < 3 && !nudgeKinds.includes('long_silence'); i += 1) {
    const nudge = page.getByTestId('nudge').first();
    await expect(nudge).toBeVisible({ timeout: 60_000 });
    const kind = (await nudge.getAttribute('data-kind')) ?? '';
    expect(kind).toMatch(/^(too_quiet|too_loud|too_fast|long_silence|noisy_background)$/);
    nudgeKinds.push(kind);
    // Announced politely: the nudge sits in (or is) a live status region.
    const region = page.locator('[role="status"][aria-live="polite"]', {
      has: page.getByTestId('nudge'),
    });
    await expect(region.or(page.locator('[data-testid="nudge"][role="status"]'))).toHaveCount(1);
    await expect(page.getByRole('dialog')).toHaveCount(0);
    if (i === 0) await capture(page, 'nudge');
    await nudge.getByTestId('nudge-dismiss').click();
    await expect(page.getByTestId('nudge').first()).toBeHidden({ timeout: 5_000 });
  }
  expect(nudgeKinds, 'a long-silence nudge in the quiet stretch').toContain('long_silence');

  await untilEnd(page);
  await expect(page.getByTestId('moved-elsewhere')).toHaveCount(0);
  await capture(page, 'end-screen');
  const probe = await readProbe(page);
  const rel = (t: number | null): string =>
    t === null ? 'never' : String(Math.round(t - (probe.join ?? 0)));
  console.log(
    `BROWSER-FIGURE after_join_ms first_candidate_caption=${rel(probe.firstCandidateCaption)} ` +
      `first_nudge=${rel(probe.firstNudge)} nudges=${nudgeKinds.join(',')} ` +
      `end_screen=${rel(probe.endScreen)} agent_states=${probe.agentStates
        .map((s) => `${s.state}@${rel(s.at)}`)
        .slice(0, 12)
        .join(',')}`,
  );
  expect.soft(errors, 'console errors on the candidate page').toEqual([]);

  // The link of an interview that is over.
  const after = await readInvite(request, invite.token);
  expect(after.status).toBe(410);
  expect(after.body.reason).toBe('ended');
  await page.goto(invite.path);
  await expect(page.getByTestId('invite-error')).toHaveAttribute('data-reason', 'ended');
  await expect(page.getByTestId('invite-error')).toContainText('This interview is over');

  // The recruiter, in a fresh browser context.
  const context = await browser.newContext();
  const consolePage = await context.newPage();
  // The wrong password below is refused on purpose.
  const consoleErrors = watchErrors(consolePage, /\/api\/v1\/auth\/login$/);
  await consolePage.goto('/');
  await expect(consolePage.getByTestId('login-form')).toBeVisible({ timeout: 15_000 });
  await consolePage.getByTestId('login-username').fill(recruiter.email);
  await consolePage.getByTestId('login-password').fill('wrong-password-123');
  await consolePage.getByTestId('login-submit').click();
  await expect(consolePage.getByTestId('login-error')).toBeVisible();
  await consolePage.getByTestId('login-password').fill('');
  await capture(consolePage, 'console-login');
  await consolePage.getByTestId('login-password').fill(recruiter.password);
  await consolePage.getByTestId('login-submit').click();
  await expect(consolePage.getByTestId('nav-interviews')).toBeVisible({ timeout: 15_000 });

  await consolePage.getByTestId('nav-roles').click();
  await expect(consolePage.getByTestId('role-row').filter({ hasText: ROLE.name })).toBeVisible();
  await capture(consolePage, 'console-roles');
  await consolePage.getByTestId('nav-new-interview').click();
  await expect(consolePage.getByTestId('new-interview-form')).toBeVisible();
  await consolePage.getByTestId('resume-file').setInputFiles({
    name: 'ada-lovelace.pdf',
    mimeType: 'application/pdf',
    buffer: resumePdf(),
  });
  await expect(consolePage.getByTestId('parsed-resume')).toContainText('Ada Lovelace', {
    timeout: 15_000,
  });
  await capture(consolePage, 'console-new-interview');
  // Create it from the role and the resume: the invite link is shown once, ready to copy,
  // and opens the candidate's page for this new interview.
  await consolePage.getByTestId('interview-role').selectOption({ label: ROLE.name });
  await consolePage.getByTestId('interview-candidate').fill('Ada Lovelace');
  await consolePage.getByTestId('interview-duration').fill('20');
  await consolePage.getByTestId('create-interview').click();
  const inviteLink = consolePage.getByTestId('invite-link');
  await expect(inviteLink).toHaveValue(/\/i\/[0-9a-f]{64}$/, { timeout: 15_000 });
  await consolePage.getByTestId('copy-invite').click();
  await expect(consolePage.getByText(/^(Copied|Selected: press)/)).toBeVisible();
  const created = await readInvite(request, (await inviteLink.inputValue()).split('/i/')[1] ?? '');
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  expect(created.body.duration_minutes).toBe(20);
  await capture(consolePage, 'console-invite-created');

  await consolePage.getByTestId('nav-interviews').click();
  const row = consolePage.locator(`[data-testid="interview-row"][data-id="${interviewId}"]`);
  await expect(row).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  await capture(consolePage, 'interviews-list');
  await openRow(row);
  await expect(consolePage).toHaveURL(new RegExp(`#/interviews/${interviewId}$`));
  await expect(consolePage.getByTestId('interview-status')).toHaveAttribute(
    'data-status',
    'completed',
  );
  await expect
    .soft(consolePage.getByTestId('new-invite'), 'no new-invite button once ended')
    .toHaveCount(0);

  // The transcript: every stored turn, in order, with its id.
  const state = await recruiter.get<{ conversation_history: { turn: number; role: string }[] }>(
    `/api/v1/interviews/${interviewId}/state`,
  );
  // The delivery timeline is plotted.
  await expect(consolePage.getByTestId('timeline-chart')).toBeVisible({ timeout: 15_000 });
  const turns = state.conversation_history;
  expect(turns.some((t) => t.role === 'candidate'), 'a candidate turn was stored').toBe(true);
  await expect(consolePage.getByTestId('turn')).toHaveCount(turns.length, { timeout: 15_000 });
  for (const turn of turns) await expect(consolePage.locator(`#turn-${turn.turn}`)).toHaveCount(1);

  // The report: scores whose evidence links go to turns.
  const report = consolePage.getByTestId('report');
  await expect(report.getByTestId('score').first()).toBeVisible({ timeout: 60_000 });
  expect(await report.getByTestId('score').count()).toBeGreaterThanOrEqual(ROLE.rubric.length);
  const evidence = report.getByTestId('evidence');
  await expect(evidence.first()).toBeVisible();
  const hrefs = await evidence.evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  for (const href of hrefs) expect(href).toMatch(/#turn-\d+$/);
  // The first quote of the API's report links to the turn that holds it.
  const api = await recruiter.get<ReportAnswer>(`/api/v1/interviews/${interviewId}/report`);
  expect(api.evaluation?.status).toBe('ready');
  const quote = api.evaluation?.report?.dimensions.flatMap((d) => d.evidence)[0];
  expect(quote, 'the report has evidence').toBeTruthy();
  const link = report.locator(`[data-testid="evidence"][href$="#turn-${quote?.turn}"]`).first();
  await capture(consolePage, 'interview-report');
  await link.click();
  const turn = consolePage.locator(`#turn-${quote?.turn}`);
  await expect(turn).toBeInViewport();
  await expect(turn).toContainText(quote?.quote ?? 'missing quote');
  await expect(consolePage.getByTestId('interview-status')).toBeVisible();
  expect.soft(consoleErrors, 'console errors on the recruiter console').toEqual([]);
  await context.close();
});
