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

/**
 * Flags that make Chromium accept the lab's TLS certificate, and only it: certificate errors are
 * ignored for a chain holding a key whose base64 sha256 SPKI hash is `spkiHash` (lab.tls.spkiHash);
 * every other certificate is checked as usual. Never `--ignore-certificate-errors`. (Chromium
 * honours the flag only with a user data dir of its own, which playwright always gives it.)
 */
export function trustSpkiArgs(spkiHash) {
  if (typeof spkiHash !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(spkiHash)) {
    throw new Error(`trustSpkiArgs: ${JSON.stringify(spkiHash)} is not a base64 sha256 hash`);
  }
  return [`--ignore-certificate-errors-spki-list=${spkiHash}`];
}
