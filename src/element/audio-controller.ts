/**
 * The element's sound and time: ringtone, ringback and call-waiting tones for the calls as they
 * are, the call clock that ticks while a call is connected, the chosen audio devices (kept in
 * localStorage), the settings panel's device list and its audio check.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { runAudioTest, type AudioTestResult } from '../audio/audio-test.js';
import { listAudioDevices, loadAudioPrefs, saveAudioPrefs, type AudioDevices, type AudioPrefs } from '../audio/devices.js';
import { TonePlayer, type ToneKind } from '../audio/tones.js';
import { CallState, isConnected, isRingingIn, type CallInfo } from '../core/types.js';
import { toSoftPhoneError } from '../errors.js';
import { logger } from '../logger.js';

/** The audio check in the settings panel: running (level so far) or done. */
export type AudioTestState = { running: boolean; level: number; result?: AudioTestResult } | undefined;

export class AudioController implements ReactiveController {
  readonly #host: ReactiveControllerHost & { readonly isConnected: boolean };
  /** A device choice changed: the engine gets the new microphone and speaker. */
  readonly #devicesChanged: () => void;
  readonly tones: TonePlayer;
  prefs: AudioPrefs = loadAudioPrefs();
  devices: AudioDevices = { inputs: [], outputs: [] };
  settingsOpen = false;
  test: AudioTestState;
  /** Now, as the call clock shows it: updated every second while a call is connected. */
  now = Date.now();
  #clock: ReturnType<typeof setInterval> | undefined;

  constructor(host: ReactiveControllerHost & { readonly isConnected: boolean }, devicesChanged: () => void) {
    this.#host = host;
    this.#devicesChanged = devicesChanged;
    this.tones = new TonePlayer(() => host.requestUpdate());
    host.addController(this);
  }

  hostDisconnected(): void {
    this.#stopClock();
    void this.tones.dispose();
  }

  /** Plays the tone the calls call for (or none), and runs the call clock while a call is connected. */
  sync(calls: readonly CallInfo[]): void {
    // Tabs that share a phone: only the tab with the calls' media rings.
    const here = calls.filter((c) => c.local !== false);
    let tone: ToneKind | undefined;
    if (here.some(isRingingIn)) tone = here.some((c) => !isRingingIn(c)) ? 'call-waiting' : 'ringtone';
    else if (here.some((c) => c.direction === 'outbound' && c.state === CallState.Ringing)) tone = 'ringback';
    if (tone) {
      this.tones.setSinks(this.prefs.ringer, this.prefs.speaker);
      this.tones.play(tone);
    } else {
      this.tones.stop();
    }
    const running = calls.some((c) => c.answeredAt !== undefined && isConnected(c));
    if (running && this.#clock === undefined) {
      this.now = Date.now();
      this.#clock = setInterval(() => {
        this.now = Date.now();
        this.#host.requestUpdate();
      }, 1000);
    } else if (!running) {
      this.#stopClock();
    }
  }

  /** The tone player's audio starts once the page is idle, so the first incoming call rings sooner. */
  warmSoon(): void {
    (globalThis.requestIdleCallback ?? setTimeout)(() => this.#host.isConnected && this.tones.warm(this.prefs.ringer));
  }

  #stopClock(): void {
    if (this.#clock !== undefined) clearInterval(this.#clock);
    this.#clock = undefined;
  }

  toggleSettings = (): void => {
    this.settingsOpen = !this.settingsOpen;
    this.#host.requestUpdate();
    if (this.settingsOpen) {
      listAudioDevices()
        .then((devices) => {
          this.devices = devices;
          this.#host.requestUpdate();
        })
        .catch((e: unknown) => logger.debug('cannot list audio devices', e));
    }
  };

  changeDevice = (key: keyof AudioPrefs, id: string): void => {
    this.prefs = { ...this.prefs, [key]: id };
    saveAudioPrefs(this.prefs);
    this.tones.setSinks(this.prefs.ringer, this.prefs.speaker);
    this.#host.requestUpdate();
    this.#devicesChanged();
  };

  /** The pre-call check: the chosen microphone's level, then a test tone on speaker and ringer. */
  async runTest(): Promise<AudioTestResult> {
    this.#setTest({ running: true, level: 0 });
    try {
      const result = await runAudioTest({
        ...this.prefs,
        onLevel: (level) => {
          if (this.test?.running) this.#setTest({ running: true, level });
        },
      });
      this.#setTest({ running: false, level: result.microphone.level, result });
      return result;
    } catch (e) {
      this.#setTest(undefined);
      throw toSoftPhoneError(e, 'MEDIA_DENIED');
    }
  }

  #setTest(test: AudioTestState): void {
    this.test = test;
    this.#host.requestUpdate();
  }
}
