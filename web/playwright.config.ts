// Browser end-to-end tests against the real stack (started by scripts/test.d/browser.sh,
// which sets BASE_URL, FAKE_AUDIO_WAV and ARTIFACT_DIR). Debian's Chromium, never a
// downloaded browser; its fake capture device plays FAKE_AUDIO_WAV (looped) as the
// microphone. One worker (a 2-core machine also runs the agent), no retries, bounded waits.
import { defineConfig } from '@playwright/test';

const executablePath = '/usr/bin/chromium';
const wav = process.env.FAKE_AUDIO_WAV;
const media = [
  '--use-fake-device-for-media-stream',
  ...(wav ? [`--use-file-for-fake-audio-capture=${wav}`] : []),
  '--autoplay-policy=no-user-gesture-required',
];
const limit = Number(process.env.BROWSER_TIME_LIMIT ?? '480');

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/playwright',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  timeout: 90_000,
  globalTimeout: (Number.isFinite(limit) && limit > 0 ? limit : 480) * 1000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:8000',
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      // The microphone is allowed: the fake permission UI accepts the prompt.
      name: 'mic-allowed',
      testIgnore: /mic-denied\.spec\.ts/,
      use: {
        permissions: ['microphone'],
        launchOptions: { executablePath, args: [...media, '--use-fake-ui-for-media-stream'] },
      },
    },
    {
      // No fake permission UI and nothing granted: getUserMedia fails with NotAllowedError.
      name: 'mic-denied',
      testMatch: /mic-denied\.spec\.ts/,
      use: { launchOptions: { executablePath, args: media } },
    },
  ],
});
