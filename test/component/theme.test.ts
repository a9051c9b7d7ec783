/**
 * The color scheme: `theme` (`auto` follows the system's `prefers-color-scheme`, `light` and `dark`
 * force one), a bad value reported, a host's own `--soft-phone-*` value winning, and no color in the
 * styles that is not a light/dark pair behind a custom property.
 */
import { expect } from '@esm-bundle/chai';
import { emulateMedia } from '@web/test-runner-commands';
import '../../src/monitor/index.js';
import type { SoftPhoneMonitor } from '../../src/monitor/index.js';
import { SoftPhone } from '../../src/soft-phone.js';
import { attach, isolateTests, mountPhone, recordEvents, until } from './helpers.js';

const LIGHT = { background: 'rgb(255, 255, 255)', color: 'rgb(31, 35, 40)' };
const DARK = { background: 'rgb(13, 17, 23)', color: 'rgb(230, 237, 243)' };

/** The background and text color the agent sees on the element's root. */
function colors(el: HTMLElement): { background: string; color: string } {
  const base = el.shadowRoot!.querySelector<HTMLElement>('[part=base]')!;
  const style = getComputedStyle(base);
  return { background: style.backgroundColor, color: style.color };
}

describe('<soft-phone> theme', () => {
  isolateTests();
  afterEach(async () => {
    await emulateMedia({ colorScheme: 'light' });
  });

  it('auto (the default) follows prefers-color-scheme', async () => {
    await emulateMedia({ colorScheme: 'light' });
    const el = await mountPhone({});
    expect(el.theme).to.equal('auto');
    expect(colors(el)).to.deep.equal(LIGHT);
    await emulateMedia({ colorScheme: 'dark' });
    expect(colors(el)).to.deep.equal(DARK);
  });

  it('the theme attribute and property force a scheme whatever the system prefers', async () => {
    await emulateMedia({ colorScheme: 'light' });
    const el = await mountPhone({ theme: 'dark' });
    expect(colors(el)).to.deep.equal(DARK);
    el.theme = 'light';
    await emulateMedia({ colorScheme: 'dark' });
    await el.updateComplete;
    expect(colors(el)).to.deep.equal(LIGHT);
    expect(el.hasAttribute('theme'), 'the property is not written back').to.equal(true);
    expect(el.getAttribute('theme')).to.equal('dark');
  });

  it('a host value of a --soft-phone-* property wins in both schemes', async () => {
    const el = await mountPhone({ theme: 'dark' });
    el.style.setProperty('--soft-phone-background', 'rgb(1, 2, 3)');
    expect(colors(el).background).to.equal('rgb(1, 2, 3)');
    el.theme = 'light';
    await el.updateComplete;
    expect(colors(el).background).to.equal('rgb(1, 2, 3)');
  });

  it('a bad theme is an INVALID_CONFIG error naming it, shown in the UI; the phone follows the system', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    const el = document.createElement('soft-phone');
    const seen = recordEvents(el, ['error']);
    el.setAttribute('theme', 'purple');
    attach(el);
    await until(() => seen.length > 0, 'the error reported');
    expect(seen[0]!.detail).to.deep.equal({ code: 'INVALID_CONFIG', message: 'theme "purple" must be one of auto, light, dark' });
    await el.updateComplete;
    expect(el.shadowRoot!.textContent).to.contain('theme "purple"');
    expect(colors(el)).to.deep.equal(DARK);
  });

  it('no color in the phone\'s or the monitor\'s styles but light/dark defaults behind --soft-phone-* properties', () => {
    const monitor = customElements.get('soft-phone-monitor') as unknown as typeof SoftPhone;
    const text = [...SoftPhone.elementStyles, ...monitor.elementStyles].map((s) => (s as { cssText: string }).cssText).join('\n');
    expect(text).to.contain('light-dark(');
    const bare = text.replace(/var\(--soft-phone-[\w-]+,light-dark\(#[0-9a-f]{6},#[0-9a-f]{6}\)\)/g, '');
    expect(bare.match(/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|(?<![\w-])(white|black)(?![\w-])/gi) ?? []).to.deep.equal([]);
  });
});

describe('<soft-phone-monitor> theme', () => {
  const mounted: HTMLElement[] = [];
  afterEach(async () => {
    for (const el of mounted.splice(0)) el.remove();
    await emulateMedia({ colorScheme: 'light' });
  });

  async function mount(theme?: string): Promise<SoftPhoneMonitor> {
    const el = document.createElement('soft-phone-monitor');
    if (theme !== undefined) el.setAttribute('theme', theme);
    document.body.append(el);
    mounted.push(el);
    await el.updateComplete;
    return el;
  }

  it('follows the system, a theme forces one, a bad one is INVALID_CONFIG naming it', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    expect(colors(await mount())).to.deep.equal(DARK);
    expect(colors(await mount('light'))).to.deep.equal(LIGHT);
    const bad = await mount('sepia');
    await until(() => bad.shadowRoot!.querySelector('[part=error]') !== null, 'the error shown');
    expect(bad.shadowRoot!.querySelector('[part=error] span')!.textContent).to.contain('theme "sepia" must be one of auto, light, dark');
    expect(colors(bad)).to.deep.equal(DARK);
  });
});
