// One call per page or state: axe-core finds no serious or critical violation, the phone
// viewport has no horizontal scroll, and a screenshot is written at desktop (1280x800) and
// phone (375x667) size into ARTIFACT_DIR. Checks are soft: a test goes on to later states and
// fails at its end with every finding.
import * as fs from 'node:fs';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 667 };

const artifactDir = process.env.ARTIFACT_DIR ?? path.join(process.cwd(), 'test-results', 'screenshots');

async function axe(page: Page, name: string, size: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join('; ')})`,
    );
  expect.soft(bad, `axe on ${name} at ${size}`).toEqual([]);
}

/** Checks and photographs the page as it is now, at both sizes; leaves it at desktop size. */
export async function capture(page: Page, name: string): Promise<void> {
  fs.mkdirSync(artifactDir, { recursive: true });
  await page.setViewportSize(DESKTOP);
  await axe(page, name, 'desktop');
  await page.screenshot({ path: path.join(artifactDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await axe(page, name, 'phone');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect.soft(overflow, `${name}: horizontal overflow at 375 px (px)`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(artifactDir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}
