// The one Chromium setup of the repository: the lab's media pages, the e2e tests, the element tests
// (web-test-runner.config.mjs) and the benchmark all launch the Debian Chromium with these flags.
// Plain ESM with types in chromium.d.mts, so the .mjs test-runner config and the TypeScript code
// can both import it.

/** The system Chromium, driven by playwright-core (never a downloaded browser). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that make WebRTC work headless on loopback without reaching any outside host. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
]);
