/** The system Chromium, driven by playwright-core (never a downloaded browser). */
export declare const CHROMIUM_PATH: string;
/** Flags that make WebRTC work headless on loopback without reaching any outside host. */
export declare const CHROMIUM_ARGS: readonly string[];
/**
 * Flags that make Chromium accept the lab's TLS certificate (and no other certificate error): the
 * `--ignore-certificate-errors-spki-list` flag with `spkiHash` (lab.tls.spkiHash).
 */
export declare function trustSpkiArgs(spkiHash: string): string[];
