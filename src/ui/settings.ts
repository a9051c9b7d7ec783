/** Audio settings: microphone, speaker and ringer output, remembered per browser. */
import { html, nothing, type TemplateResult } from 'lit';
import type { AudioDevice, AudioDevices, AudioPrefs } from '../audio/devices.js';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';

export interface SettingsHandlers {
  change(key: keyof AudioPrefs, deviceId: string): void;
  close(): void;
  test(): void;
}

export interface AudioTestView {
  running: boolean;
  /** 0..1 */
  level: number;
  result?: { microphone: { level: number } };
}

function select(
  key: keyof AudioPrefs,
  label: string,
  devices: readonly AudioDevice[],
  prefs: AudioPrefs,
  t: Translate,
  h: SettingsHandlers,
): TemplateResult {
  return html`<label class="setting">
    <span>${label}</span>
    <select data-setting=${key} @change=${(e: Event) => h.change(key, (e.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${prefs[key] === ''}>${t('defaultDevice')}</option>
      ${devices.map((d) => html`<option value=${d.id} ?selected=${prefs[key] === d.id}>${d.label}</option>`)}
    </select>
  </label>`;
}

export function renderSettings(
  devices: AudioDevices,
  prefs: AudioPrefs,
  canChooseOutput: boolean,
  t: Translate,
  h: SettingsHandlers,
  test?: AudioTestView,
): TemplateResult {
  // RMS 0.3 and louder fills the meter: speech close to a headset microphone.
  const percent = Math.min(100, Math.round(((test?.level ?? 0) / 0.3) * 100));
  return html`<section role="group" part="settings" class="card settings" aria-label=${t('settings')}>
    <div class="top">
      <h2 class="label">${t('settings')}</h2>
      <button class="btn mini" aria-label=${t('closeSettings')} title=${t('closeSettings')} @click=${h.close}>
        ${icons.close()}</button>
    </div>
    ${select('microphone', t('microphone'), devices.inputs, prefs, t, h)}
    ${canChooseOutput
      ? html`${select('speaker', t('speaker'), devices.outputs, prefs, t, h)}
        ${select('ringer', t('ringer'), devices.outputs, prefs, t, h)}`
      : html`<p class="hint">${t('noSinkSelection')}</p>`}
    <button class="btn" data-action="test-audio" ?disabled=${!!test?.running} @click=${h.test}>${t(test?.running ? 'testingAudio' : 'testAudio')}</button>
    ${test
      ? html`<div class="meter" role="meter" aria-label=${t('micLevel')} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${percent}>
          <i style=${`inline-size:${percent}%`}></i></div>
        ${test.result ? html`<p class="hint" role="status">${t('audioTested', { level: percent })}</p>` : nothing}`
      : nothing}
  </section>`;
}
