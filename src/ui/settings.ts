/** Audio settings: microphone, speaker and ringer output, remembered per browser. */
import { html, type TemplateResult } from 'lit';
import type { AudioDevice, AudioDevices, AudioPrefs } from '../audio/devices.js';
import type { Translate } from '../i18n/index.js';
import { icons } from './icons.js';

export interface SettingsHandlers {
  change(key: keyof AudioPrefs, deviceId: string): void;
  close(): void;
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
): TemplateResult {
  return html`<section part="settings" class="card settings" aria-label=${t('settings')}>
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
  </section>`;
}
