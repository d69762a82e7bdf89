// The candidate's steps on `/i/{token}` and an in-page probe that timestamps what appears
// (performance.now(), so 0 is when the link was opened).
import { expect, type Locator, type Page } from '@playwright/test';
import { capture } from './capture';

/** What the probe saw, in ms since the page was opened; null until it happened. */
export interface Probe {
  join: number | null;
  firstAgentCaption: number | null;
  firstCandidateCaption: number | null;
  firstNudge: number | null;
  /** When the end screen showed. */
  endScreen: number | null;
  /** Caption elements added to the page so far (a new utterance adds one). */
  captionsAdded: number;
  /** Every distinct `agent-state` value in order, with when it was first shown. */
  agentStates: { state: string; at: number }[];
}

declare global {
  interface Window {
    __e2eProbe?: Probe;
  }
}

/** Installs the probe in every document the page opens (call before `goto`). */
export async function installProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const probe: Probe = {
      join: null,
      firstAgentCaption: null,
      firstCandidateCaption: null,
      firstNudge: null,
      endScreen: null,
      captionsAdded: 0,
      agentStates: [],
    };
    window.__e2eProbe = probe;
    document.addEventListener(
      'click',
      (event) => {
        const target = event.target instanceof Element ? event.target : null;
        if (probe.join === null && target?.closest('[data-testid="join-button"]')) {
          probe.join = performance.now();
        }
      },
      true,
    );
    const spoken = (side: string): boolean =>
      Array.from(document.querySelectorAll(`[data-testid="caption"][data-side="${side}"]`)).some(
        (el) => (el.textContent ?? '').trim().length > 0,
      );
    const look = (): void => {
      const now = performance.now();
      if (probe.firstAgentCaption === null && spoken('agent')) probe.firstAgentCaption = now;
      if (probe.firstCandidateCaption === null && spoken('candidate')) {
        probe.firstCandidateCaption = now;
      }
      if (probe.firstNudge === null && document.querySelector('[data-testid="nudge"]')) {
        probe.firstNudge = now;
      }
      if (probe.endScreen === null && document.querySelector('[data-testid="end-screen"]')) {
        probe.endScreen = now;
      }
      const state = document.querySelector('[data-testid="agent-state"]')?.getAttribute('data-state');
      const last = probe.agentStates[probe.agentStates.length - 1];
      if (state && state !== last?.state) probe.agentStates.push({ state, at: now });
    };
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of Array.from(record.addedNodes)) {
          if (!(node instanceof Element)) continue;
          if (node.matches('[data-testid="caption"]')) probe.captionsAdded += 1;
          probe.captionsAdded += node.querySelectorAll('[data-testid="caption"]').length;
        }
      }
      look();
    }).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
}

export async function readProbe(page: Page): Promise<Probe> {
  const probe = await page.evaluate(() => window.__e2eProbe ?? null);
  expect(probe, 'the in-page probe is installed').not.toBeNull();
  return probe as Probe;
}

/**
 * Console errors and uncaught exceptions of the page, for a check at the end. Chromium itself
 * logs every 4xx answer as "Failed to load resource"; those from URLs matching `expected`
 * (a refusal the test provokes on purpose) are left out.
 */
export function watchErrors(page: Page, expected?: RegExp): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    if (expected && expected.test(url) && message.text().startsWith('Failed to load resource')) {
      return;
    }
    errors.push(`console: ${message.text().slice(0, 300)} (${url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message.slice(0, 300)}`));
  return errors;
}

/** Presses Tab until `target` has the focus (at most `max` times): it is keyboard reachable. */
export async function tabTo(page: Page, target: Locator, max = 25): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target.toString()} in ${max} presses`);
}

/**
 * The disclosure step: checks what it says, consents and continues (with the keyboard alone
 * when `keyboard` is set).
 */
export async function consent(page: Page, shots?: string, keyboard = false): Promise<void> {
  const disclosure = page.getByTestId('disclosure');
  await expect(disclosure).toBeVisible({ timeout: 15_000 });
  await expect(disclosure).toContainText(/AI interviewer/i);
  await expect(page.getByTestId('role-title')).toContainText('Backend Engineer');
  await expect(page.getByTestId('duration')).toContainText('2');
  const box = page.getByTestId('consent-checkbox');
  const next = page.getByTestId('consent-continue');
  await expect(next).toBeDisabled();
  if (shots) await capture(page, shots);
  if (keyboard) {
    await tabTo(page, box);
    await page.keyboard.press('Space');
    await expect(box).toBeChecked();
    await expect(next).toBeEnabled();
    await tabTo(page, next);
    await page.keyboard.press('Enter');
    return;
  }
  await box.check();
  await expect(next).toBeEnabled();
  await next.click();
}

/**
 * The device check with a working (fake) microphone. With `heard`, it waits for the fake
 * microphone's speech (after its 14 s of silence): the level rises and "We can hear you"
 * shows. Joining never needs that.
 */
export async function passDeviceCheck(page: Page, heard: boolean, shots?: string): Promise<void> {
  await expect(page.getByTestId('mic-select')).toBeVisible({ timeout: 15_000 });
  const meter = page.getByTestId('level-meter');
  await expect(meter).toBeVisible();
  await expect(page.getByTestId('join-button')).toBeEnabled({ timeout: 15_000 });
  if (!heard) return;
  await expect
    .poll(async () => Number((await meter.getAttribute('data-level')) ?? '0'), {
      timeout: 30_000,
      message: 'level-meter data-level rises above 0',
    })
    .toBeGreaterThan(0);
  await expect(page.getByTestId('mic-ok')).toBeVisible({ timeout: 10_000 });
  if (shots) await capture(page, shots);
}

/** Joins and waits until the interview view shows with the agent present. */
export async function join(page: Page): Promise<void> {
  await page.getByTestId('join-button').click();
  await expect(page.getByTestId('agent-state')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('leave-button')).toBeVisible();
}

/** Opens the invite, consents (when asked), passes the device check and joins. */
export async function openAndJoin(page: Page, path: string): Promise<void> {
  await page.goto(path);
  const disclosure = page.getByTestId('disclosure');
  const micSelect = page.getByTestId('mic-select');
  await expect(disclosure.or(micSelect)).toBeVisible({ timeout: 15_000 });
  if (await disclosure.isVisible()) await consent(page);
  await passDeviceCheck(page, false);
  await join(page);
}
