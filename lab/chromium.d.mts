/** The system Chromium, driven by playwright-core (never a downloaded browser). */
export declare const CHROMIUM_PATH: string;
/** Flags that make WebRTC work headless on loopback without reaching any outside host. */
export declare const CHROMIUM_ARGS: readonly string[];
