// Before the run: the stack answers at BASE_URL, and old screenshots are gone.
import * as fs from 'node:fs';
import * as path from 'node:path';

export default async function globalSetup(): Promise<void> {
  const dir = process.env.ARTIFACT_DIR ?? path.join(process.cwd(), 'test-results', 'screenshots');
  if (fs.existsSync(dir)) {
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.png')) fs.rmSync(path.join(dir, name));
    }
  }
  const base = process.env.BASE_URL ?? 'http://127.0.0.1:8000';
  const response = await fetch(`${base}/ready`).catch((e: unknown) => e as Error);
  if (response instanceof Error || !response.ok) {
    throw new Error(
      `control-api is not answering at ${base}/ready; run the suite with scripts/test.d/browser.sh`,
    );
  }
}
