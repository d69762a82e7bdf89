// The coding phase in the candidate's page: when the room says the phase is `coding` (the
// agent sends `interviewer.phase` at every phase change; worker_interviewer checks that side),
// the page opens the code editor; a submission reaches the interview's transcript. A real
// agent runs in the room; a second participant (the official Python SDK, with an observer
// token from the API) sends the phase message, because a short test interview does not reach
// the coding phase on its own.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { Recruiter } from './support/api';
import { capture } from './support/capture';
import { openAndJoin } from './support/candidate';

const CODE = 'def total(xs):\n    return sum(xs)';

test('the coding phase opens the editor and a submission reaches the interview', async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const recruiter = await Recruiter.register(request, 'coding');
  const interviewId = await recruiter.createInterview(await recruiter.createRole());
  const invite = await recruiter.createInvite(interviewId);
  await openAndJoin(page, invite.path);
  await expect(page.locator('[data-testid="caption"][data-side="agent"]').first()).not.toBeEmpty({
    timeout: 60_000,
  });
  await expect(page.getByTestId('code-editor')).toBeHidden();

  // Another participant of the room tells it the phase is coding.
  const observer = await recruiter.post<{ token: string; url: string }>(
    `/api/v1/interviews/${interviewId}/token`,
    {},
  );
  const root = path.resolve(process.cwd(), '..');
  const client = spawn(
    path.join(root, '.venv/bin/python'),
    [path.join(root, 'tests/py/lk_client.py'), '--url', observer.url, '--token', observer.token],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  try {
    const lines = createInterface({ input: client.stdout });
    const connected = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line.includes('"event": "connected"') || line.includes('"event":"connected"')) {
          resolve();
        }
      });
      client.on('exit', (code) => reject(new Error(`the observer exited with ${code}`)));
    });
    await Promise.race([
      connected,
      new Promise((_, reject) => setTimeout(() => reject(new Error('observer not connected')), 30_000)),
    ]);
    const phase = { v: 1, phase: 'coding', remaining_s: 60, duration_s: 120 };
    client.stdin.write(
      `${JSON.stringify({ cmd: 'send_data', topic: 'interviewer.phase', text: JSON.stringify(phase), reliable: true })}\n`,
    );

    const editor = page.getByTestId('code-editor');
    await expect(editor).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId('phase')).toHaveAttribute('data-phase', 'coding');
    await capture(page, 'code-editor');
    await editor.locator('.cm-content').click();
    await page.keyboard.type(CODE);
    await page.getByTestId('code-submit').click();
    await expect(page.getByTestId('code-status')).toContainText('Submitted', { timeout: 10_000 });

    const state = await recruiter.get<{ code_submissions: { code: string }[] }>(
      `/api/v1/interviews/${interviewId}/state`,
    );
    expect(
      state.code_submissions.some((c) => c.code.includes('return sum(xs)')),
      JSON.stringify(state.code_submissions),
    ).toBe(true);
  } finally {
    client.stdin.write(`${JSON.stringify({ cmd: 'leave' })}\n`);
    client.stdin.end();
    setTimeout(() => client.kill(), 5_000).unref();
  }
});
