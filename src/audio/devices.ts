/** Audio device choices (microphone, speaker, ringer), remembered per browser in localStorage. */
export interface AudioPrefs {
  /** Device ids; '' means the system default. */
  microphone: string;
  speaker: string;
  ringer: string;
}

export interface AudioDevice {
  id: string;
  label: string;
}

export interface AudioDevices {
  inputs: AudioDevice[];
  outputs: AudioDevice[];
}

const KEY = 'soft-phone.audio';
const EMPTY: AudioPrefs = { microphone: '', speaker: '', ringer: '' };

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Storage can be disabled (privacy settings, sandboxed iframes): fall back to defaults.
    return undefined;
  }
}

export function loadAudioPrefs(): AudioPrefs {
  try {
    const raw: unknown = JSON.parse(storage()?.getItem(KEY) ?? '{}');
    if (!raw || typeof raw !== 'object') return { ...EMPTY };
    const pick = (k: keyof AudioPrefs): string => {
      const v = (raw as Record<string, unknown>)[k];
      return typeof v === 'string' ? v : '';
    };
    return { microphone: pick('microphone'), speaker: pick('speaker'), ringer: pick('ringer') };
  } catch {
    return { ...EMPTY };
  }
}

export function saveAudioPrefs(prefs: AudioPrefs): void {
  try {
    storage()?.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // Quota or disabled storage: the choice lasts for this page only.
  }
}

/** True where the browser can route audio to a chosen output device. */
export function canChooseOutput(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export async function listAudioDevices(): Promise<AudioDevices> {
  const md = globalThis.navigator?.mediaDevices;
  if (!md?.enumerateDevices) return { inputs: [], outputs: [] };
  const all = await md.enumerateDevices();
  const of = (kind: MediaDeviceKind): AudioDevice[] =>
    all
      .filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default')
      // Labels stay empty until the page has microphone permission.
      .map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === 'audioinput' ? 'Mic' : 'Output'} ${i + 1}` }));
  return { inputs: of('audioinput'), outputs: of('audiooutput') };
}
