// Element tests in the Debian Chromium (never a downloaded browser), TypeScript with decorators via esbuild.
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lab/chromium.mjs';

export default {
  files: ['test/component/**/*.test.ts'],
  nodeResolve: true,
  // Two cores are shared by everyone: one browser page at a time is plenty.
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60000,
  testsFinishTimeout: 180000,
  plugins: [esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) })],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] },
    }),
  ],
  testFramework: { config: { timeout: 10000 } },
};
