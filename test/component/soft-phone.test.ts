import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import { SoftPhone } from '../../src/soft-phone.js';
import { FakeEngine } from './fake-engine.js';
import { attach, isolateTests, mountPhone, onlyEngine, recordEvents, rejection, until, whenRegistered, type Seen } from './helpers.js';

isolateTests();

const PASSWORD = 'Sup3r-Secret-pw!';
const DEFAULT_ATTRS = {
  server: 'ws://127.0.0.1:8088 ws://127.0.0.1:8090',
  domain: 'server1.test',
  extension: '3999',
  'display-name': 'Alice Agent',
};

function record(el: HTMLElement): Seen[] {
  return recordEvents(el, [
    'registering', 'registered', 'unregistered', 'registration-failed', 'connection-lost', 'connection-restored',
    'before-dial', 'incoming-call', 'call-state', 'call-established', 'call-ended', 'call-held', 'call-resumed',
    'transfer-completed', 'transfer-failed', 'call-parked', 'status-changed', 'error',
  ]);
}

async function mount(
  attrs: Record<string, string> = DEFAULT_ATTRS,
  setup?: (el: SoftPhone) => void,
): Promise<{ el: SoftPhone; seen: Seen[]; engine: () => FakeEngine }> {
  let seen: Seen[] = [];
  const el = await mountPhone(attrs, (el) => {
    setup?.(el);
    seen = record(el);
  });
  return { el, seen, engine: onlyEngine };
}

async function registered(attrs?: Record<string, string>): Promise<{ el: SoftPhone; seen: Seen[]; engine: () => FakeEngine }> {
  const m = await mount(attrs, (el) => (el.password = PASSWORD));
  await whenRegistered(m.el);
  return m;
}

const shadow = (el: SoftPhone): ShadowRoot => el.shadowRoot!;
const $ = <T extends Element = HTMLElement>(el: SoftPhone, sel: string): T | null => shadow(el).querySelector<T>(sel);
const text = (el: SoftPhone): string => shadow(el).textContent?.replace(/\s+/g, ' ') ?? '';
const names = (seen: Seen[]): string[] => seen.map((s) => s.type);

describe('<soft-phone> configuration', () => {
  it('passes its attributes to the engine and registers as extension@domain', async () => {
    const { el, engine } = await registered({
      ...DEFAULT_ATTRS,
      'auth-user': 'agent3999',
      expires: '60',
      refresh: '20',
    });
    const config = engine().config!;
    expect(config.servers).to.deep.equal(['ws://127.0.0.1:8088', 'ws://127.0.0.1:8090']);
    expect(config.domain).to.equal('server1.test');
    expect(config.extension).to.equal('3999');
    expect(config.authUser).to.equal('agent3999');
    expect(config.displayName).to.equal('Alice Agent');
    expect(config.expires).to.equal(60);
    expect(config.refresh).to.equal(20);
    expect(config.iceServers).to.deep.equal([]);
    expect(config.password).to.equal(PASSWORD);
    expect($(el, '.aor')!.textContent).to.equal('3999@server1.test');
  });

  it('defaults auth-user to the extension, expires to 30 and refresh to 15', async () => {
    const { engine } = await registered();
    expect(engine().config).to.include({ authUser: '3999', expires: 30, refresh: 15 });
  });

  it('coalesces many property changes into one reconfiguration', async () => {
    const { el, engine } = await registered();
    const before = engine().configs.length;
    el.displayName = 'B';
    el.expires = 40;
    el.refresh = 20;
    await el.updateComplete;
    await until(() => engine().configs.length > before, 'reconfigured');
    await new Promise((r) => setTimeout(r, 20));
    expect(engine().configs.length).to.equal(before + 1);
    expect(engine().config).to.include({ displayName: 'B', expires: 40, refresh: 20 });
  });

  it('clearing the extension unregisters; setting it again registers', async () => {
    const { el, seen } = await registered();
    el.extension = '';
    await until(() => el.registrationState === 'unregistered', 'unregistered');
    expect(names(seen)).to.include('unregistered');
    el.extension = '4000';
    await until(() => el.registrationState === 'registered', 'registered again');
    expect(seen.at(-1)!.detail).to.deep.include({ aor: '4000@server1.test' });
    expect((await rejection(Promise.resolve().then(() => ((el.domain = ''), el.register())))).message).to.contain('domain');
  });

  it('does not register while auto-register="false", until register() is called', async () => {
    const { el, seen } = await mount({ ...DEFAULT_ATTRS, 'auto-register': 'false' });
    await new Promise((r) => setTimeout(r, 30));
    expect(el.autoRegister).to.equal(false);
    expect(el.registrationState).to.equal('unregistered');
    expect(names(seen)).to.not.include('registering');
    await el.register();
    expect(el.registrationState).to.equal('registered');
  });

  it('treats a bare auto-register attribute as on', async () => {
    const { el } = await mount({ ...DEFAULT_ATTRS, 'auto-register': '' });
    await until(() => el.registrationState === 'registered', 'registered');
  });

  it('a bad prefix is an INVALID_CONFIG error naming it, shown in the UI, and the phone still works', async () => {
    const { el, seen, engine } = await registered({ ...DEFAULT_ATTRS, prefix: '7' });
    const error = seen.find((s) => s.type === 'error')!.detail as { code: string; message: string };
    expect(error.code).to.equal('INVALID_CONFIG');
    expect(error.message).to.contain('"7"');
    expect(text(el)).to.contain('Configuration error');
    expect(el.registrationState).to.equal('registered');
    const call = await el.call('4000');
    expect(call.remote.number).to.equal('4000');
    expect((engine().calledWith('call')[0]!.args[0] as { uri: string }).uri).to.equal('sip:4000@server1.test');
  });

  it('bad linked-servers JSON is an INVALID_CONFIG error and the phone stays registered', async () => {
    const { el, seen } = await registered({ ...DEFAULT_ATTRS, 'linked-servers': '[{"prefix": 12' });
    const error = seen.find((s) => s.type === 'error')!.detail as { code: string; message: string };
    expect(error.code).to.equal('INVALID_CONFIG');
    expect(error.message).to.contain('linked');
    expect(el.registrationState).to.equal('registered');
  });

  it('dials linked numbers through the linked-servers attribute', async () => {
    const { el } = await registered({ ...DEFAULT_ATTRS, prefix: '11', 'linked-servers': '[{"prefix":"12","label":"Osaka"}]' });
    const call = await el.call('12-2099');
    expect(call.remote).to.include({ number: '122099', kind: 'linked', server: 'Osaka' });
  });
});

describe('<soft-phone> password', () => {
  it('ignores and removes a password attribute, with a warning', async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      const { el, engine } = await mount({ ...DEFAULT_ATTRS, password: 'attr-secret-1' });
      await until(() => el.registrationState === 'registered', 'registered');
      expect(el.hasAttribute('password')).to.equal(false);
      expect(engine().config!.password).to.equal(undefined);
      expect(warnings.some((w) => w.includes('[soft-phone]') && w.includes('password attribute'))).to.equal(true);
      expect(warnings.join('\n')).to.not.contain('attr-secret-1');
    } finally {
      console.warn = original;
    }
  });

  it('never shows the password in attributes, the DOM, events, or the getter', async () => {
    const { el, seen } = await registered();
    el.lang = 'ja';
    await el.updateComplete;
    const attrs = [...el.attributes].map((a) => `${a.name}=${a.value}`).join(' ');
    expect(attrs).to.not.contain(PASSWORD);
    expect(el.outerHTML).to.not.contain(PASSWORD);
    expect(shadow(el).innerHTML).to.not.contain(PASSWORD);
    expect(JSON.stringify(seen)).to.not.contain(PASSWORD);
    expect(el.password).to.equal(undefined);
    expect(Object.keys(el)).to.not.include('password');
  });
});

describe('<soft-phone> upgrade', () => {
  it('takes a password set before the element was upgraded, and does not keep it readable', async () => {
    const el = document.createElement('soft-phone-late') as SoftPhone;
    for (const [k, v] of Object.entries(DEFAULT_ATTRS)) el.setAttribute(k, v);
    el.password = PASSWORD;
    attach(el);
    customElements.define('soft-phone-late', class extends SoftPhone {});
    await until(() => el.registrationState === 'registered', 'registered after the upgrade');
    expect(FakeEngine.live()[0]!.config!.password).to.equal(PASSWORD);
    expect(el.password).to.equal(undefined);
    expect(Object.prototype.hasOwnProperty.call(el, 'password')).to.equal(false);
  });
});

describe('<soft-phone> registration', () => {
  it('shows and announces registering, registered and unregistered', async () => {
    FakeEngine.behaviour.holdRegistration = true;
    const { el, seen, engine } = await mount(DEFAULT_ATTRS, (e) => (e.password = PASSWORD));
    await until(() => el.registrationState === 'registering', 'registering');
    await el.updateComplete;
    expect($(el, '.reg')!.textContent).to.equal('Registering…');
    expect(el.getAttribute('registration-state')).to.equal('registering');
    expect(seen[0]).to.deep.equal({ type: 'registering', detail: { server: 'ws://127.0.0.1:8088' } });

    engine().completeRegistration();
    await until(() => el.registrationState === 'registered', 'registered');
    await el.updateComplete;
    expect($(el, '.reg')!.textContent).to.equal('Registered');
    expect($(el, '.dot')!.dataset['state']).to.equal('registered');
    expect(el.getAttribute('registration-state')).to.equal('registered');
    expect(seen.find((s) => s.type === 'registered')!.detail).to.deep.equal({
      aor: '3999@server1.test',
      server: 'ws://127.0.0.1:8088',
      expires: 30,
    });

    await el.unregister();
    await el.updateComplete;
    expect($(el, '.reg')!.textContent).to.equal('Not registered');
    expect(names(seen).slice(-1)).to.deep.equal(['unregistered']);
    // unregister() sticks: a config change does not register again behind the agent's back
    el.displayName = 'Other';
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 20));
    expect(el.registrationState).to.equal('unregistered');
  });

  it('reports a refused registration and does not retry on its own', async () => {
    FakeEngine.behaviour.rejectRegistration = { code: 403, reason: 'Forbidden' };
    const { el, seen, engine } = await mount(DEFAULT_ATTRS, (e) => (e.password = 'wrong'));
    await until(() => names(seen).includes('registration-failed'), 'registration-failed');
    expect(seen.find((s) => s.type === 'registration-failed')!.detail).to.deep.equal({ code: 403, reason: 'Forbidden' });
    await new Promise((r) => setTimeout(r, 30));
    expect(engine().calledWith('register').length).to.equal(1);
    expect(el.registrationState).to.equal('unregistered');
    // a new password is a new attempt
    FakeEngine.behaviour.rejectRegistration = undefined;
    el.password = PASSWORD;
    await until(() => el.registrationState === 'registered', 'registered with the new password');
  });

  it('shows the lost-connection banner, emits connection-lost, then connection-restored', async () => {
    const { el, seen, engine } = await registered();
    expect($(el, '[role=alert]')).to.equal(null);
    engine().loseConnection();
    await el.updateComplete;
    const banner = $(el, '[part=banner]')!;
    expect(banner.getAttribute('role')).to.equal('alert');
    expect(banner.textContent).to.contain('SIP phone has lost connection with the system');
    expect(seen.find((s) => s.type === 'connection-lost')!.detail).to.deep.equal({
      message: 'SIP phone has lost connection with the system',
    });
    el.lang = 'ja';
    await el.updateComplete;
    expect($(el, '[part=banner]')!.textContent).to.contain('SIPフォンがシステムとの接続を失いました');

    engine().restoreConnection();
    await el.updateComplete;
    expect($(el, '[part=banner]')).to.equal(null);
    const tail = names(seen).slice(-3);
    expect(tail).to.deep.equal(['registering', 'registered', 'connection-restored']);
    expect(seen.at(-1)!.detail).to.deep.equal({ server: 'ws://127.0.0.1:8088' });
  });
});

describe('<soft-phone> calls', () => {
  it('an incoming call shows a card answered with the keyboard', async () => {
    const { el, seen, engine } = await registered();
    const call = engine().incoming({ number: '4000', displayName: 'Bob' });
    await el.updateComplete;
    const card = $(el, '[part=incoming]')!;
    expect(card.textContent).to.contain('Bob');
    expect(card.textContent).to.contain('4000');
    expect($(el, '[aria-live=assertive]')!.textContent).to.contain('Incoming call from Bob (4000)');
    expect(seen.find((s) => s.type === 'incoming-call')).to.not.equal(undefined);

    $<HTMLButtonElement>(el, '[part=incoming] [data-action=answer]')!.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => el.calls[0]?.state === 'established', 'answered');
    expect(engine().calledWith('answer')[0]!.args).to.deep.equal([call.id]);
    expect(names(seen)).to.include('call-established');
    await el.updateComplete;
    expect($(el, '[part=incoming]')).to.equal(null);
    expect($(el, '[part=call]')!.textContent).to.contain('Connected');
    expect($(el, '[aria-live=assertive]')!.textContent).to.equal('');
    expect($(el, '.timer')!.textContent).to.match(/^0:0\d$/);
  });

  it('an incoming call is declined with the keyboard', async () => {
    const { el, seen, engine } = await registered();
    engine().incoming({ number: '4001' });
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[part=incoming] [data-action=decline]')!.focus();
    await sendKeys({ press: 'Space' });
    await until(() => el.calls.length === 0, 'declined');
    const ended = seen.find((s) => s.type === 'call-ended')!.detail as { call: { endCause: string } };
    expect(ended.call.endCause).to.equal('declined');
    await el.updateComplete;
    expect(text(el)).to.contain('Call ended: declined');
  });

  it("renders a caller's display name containing HTML as text", async () => {
    const { el, engine } = await registered();
    const evil = '<img src=x onerror="window.__pwned=1"><b>Boss</b>';
    engine().incoming({ number: '4000', displayName: evil });
    await el.updateComplete;
    expect(shadow(el).querySelector('img, b')).to.equal(null);
    expect($(el, '[part=incoming] .name')!.textContent).to.equal(evil);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('the dialpad takes typing, key presses and paste, and Enter calls', async () => {
    const { el, engine } = await registered();
    const input = $<HTMLInputElement>(el, '[part=dialpad] input')!;
    input.focus();
    await sendKeys({ type: '39' });
    $<HTMLButtonElement>(el, '[data-key="9"]')!.click();
    await el.updateComplete;
    expect(input.value).to.equal('399');
    input.value = '';
    input.dispatchEvent(new Event('input'));
    const data = new DataTransfer();
    data.setData('text/plain', ' Tel: 4000 ');
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    await el.updateComplete;
    expect(input.value).to.equal('4000');
    input.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => el.calls.length === 1, 'call placed');
    expect((engine().calledWith('call')[0]!.args[0] as { uri: string }).uri).to.equal('sip:4000@server1.test');
  });

  it('a failed action from the UI is shown and fires softphone-error', async () => {
    const { el, seen, engine } = await registered();
    const input = $<HTMLInputElement>(el, '[part=dialpad] input')!;
    input.value = '12ab';
    input.dispatchEvent(new Event('input'));
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[data-action=call]')!.click();
    await until(() => names(seen).includes('error'), 'softphone-error');
    expect(seen.find((s) => s.type === 'error')!.detail).to.deep.include({ code: 'INVALID_NUMBER' });
    await el.updateComplete;
    expect($(el, '[part=notice]')!.textContent).to.contain('12ab');
    // what the agent typed is kept so it can be corrected
    expect(input.value).to.equal('12ab');
    expect(engine().calledWith('call')).to.have.length(0);
  });

  it('typing digits while a dialpad key has focus presses the keys', async () => {
    const { el } = await registered();
    $<HTMLButtonElement>(el, '[data-key="1"]')!.focus();
    await sendKeys({ type: '40*' });
    await sendKeys({ press: 'Backspace' });
    await el.updateComplete;
    expect($<HTMLInputElement>(el, '[part=dialpad] input')!.value).to.equal('40');
  });

  it('softphone-before-dial can cancel a call or rewrite the number', async () => {
    const { el, engine } = await registered();
    const cancel = (e: Event) => e.preventDefault();
    el.addEventListener('softphone-before-dial', cancel);
    const error = await rejection(el.call('4000'));
    expect(error.code).to.equal('NOT_ALLOWED');
    expect(error.message).to.contain('4000');
    expect(engine().calledWith('call')).to.have.length(0);
    el.removeEventListener('softphone-before-dial', cancel);

    el.addEventListener('softphone-before-dial', (e) => (e.detail.number = '4001'), { once: true });
    const call = await el.call('4000');
    expect(call.remote.number).to.equal('4001');
  });

  it('a bad number is INVALID_NUMBER naming it, and the phone stays registered', async () => {
    const { el, seen } = await registered();
    const error = await rejection(el.call('12ab!'));
    expect(error.code).to.equal('INVALID_NUMBER');
    expect(error.message).to.contain('12ab!');
    expect(el.registrationState).to.equal('registered');
    expect(names(seen)).to.not.include('unregistered');
  });

  it('fires softphone-call-state on every change of a call', async () => {
    const { el, seen, engine } = await registered();
    const call = await el.call('4000');
    engine().remote(call.id, 'ringing');
    engine().remote(call.id, 'established');
    await el.mute();
    await el.hold();
    await el.unhold();
    engine().remote(call.id, 'ended');
    const states = seen.filter((s) => s.type === 'call-state').map((s) => {
      const c = (s.detail as { call: { state: string; muted: boolean } }).call;
      return `${c.state}${c.muted ? '+muted' : ''}`;
    });
    expect(states).to.deep.equal(['dialing', 'ringing', 'established', 'established+muted', 'held+muted', 'established+muted', 'ended+muted']);
    expect(names(seen).filter((n) => n.startsWith('call-') && n !== 'call-state')).to.deep.equal([
      'call-established',
      'call-held',
      'call-resumed',
      'call-ended',
    ]);
  });

  it('the in-call keypad sends DTMF and the controls mute and hold', async () => {
    const { el, engine } = await registered();
    const call = await el.call('4000');
    engine().remote(call.id, 'established');
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[data-action=keypad]')!.click();
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[data-key="5"]')!.focus();
    await sendKeys({ press: '#' });
    await until(() => engine().calledWith('sendDtmf').length === 1, 'dtmf sent');
    expect(engine().calledWith('sendDtmf')[0]!.args).to.deep.equal([call.id, '#']);
    $<HTMLButtonElement>(el, '[data-action=mute]')!.click();
    await until(() => el.calls[0]!.muted, 'muted');
    await el.updateComplete;
    expect($(el, '[data-action=mute]')!.getAttribute('aria-pressed')).to.equal('true');
    $<HTMLButtonElement>(el, '[data-action=hold]')!.click();
    await until(() => el.calls[0]!.state === 'held', 'held');
  });

  it('when the browser blocks sound, a ringing phone says so and one click enables it', async () => {
    // An AudioContext that, like a browser's autoplay policy, only starts from a real user gesture
    // (resume() called while a trusted click is being handled).
    const contexts: FakeAudioContext[] = [];
    let gesture = false;
    const onClick = (e: Event) => {
      gesture = e.isTrusted;
      setTimeout(() => (gesture = false));
    };
    document.addEventListener('click', onClick, true);
    const node = () => ({
      gain: { setValueAtTime() {}, linearRampToValueAtTime() {} },
      frequency: { value: 0 },
      connect() {},
      disconnect() {},
      start() {},
      stop() {},
      onended: null,
    });
    class FakeAudioContext {
      state: AudioContextState = 'suspended';
      currentTime = 0;
      destination = {};
      onstatechange: (() => void) | null = null;
      constructor() {
        contexts.push(this);
      }
      resume(): Promise<void> {
        if (!gesture) return new Promise(() => undefined);
        this.state = 'running';
        this.onstatechange?.();
        return Promise.resolve();
      }
      close(): Promise<void> {
        this.state = 'closed';
        return Promise.resolve();
      }
      createGain = node;
      createOscillator = node;
    }
    const original = window.AudioContext;
    (window as unknown as { AudioContext: unknown }).AudioContext = FakeAudioContext;
    try {
      const { el, engine } = await registered();
      engine().incoming({ number: '4000' });
      await el.updateComplete;
      expect(contexts).to.have.length(1);
      const button = $<HTMLButtonElement>(el, '[data-action=enable-sound]')!;
      expect(button.closest('[part=notice]')!.textContent).to.contain('blocked sound');
      button.focus();
      await sendKeys({ press: 'Enter' });
      await until(() => contexts[0]!.state === 'running', 'audio resumed');
      await el.updateComplete;
      expect($(el, '[data-action=enable-sound]')).to.equal(null);
      // the call itself never depended on sound
      expect(el.calls[0]!.state).to.equal('ringing');
    } finally {
      document.removeEventListener('click', onClick, true);
      (window as unknown as { AudioContext: unknown }).AudioContext = original;
    }
  });

  it('a second call shows the call list', async () => {
    const { el, engine } = await registered();
    const first = engine().incoming({ number: '4000' });
    await el.answer(first.id);
    engine().incoming({ number: '4001', displayName: 'Carol' });
    await el.updateComplete;
    expect($(el, '[part=incoming]')!.textContent).to.contain('Call waiting');
    expect(shadow(el).querySelectorAll('[part=call-list] li')).to.have.length(2);
  });

  it('methods reject NOT_REGISTERED on an unregistered phone and NO_SUCH_CALL for an unknown id', async () => {
    const { el } = await mount({ ...DEFAULT_ATTRS, 'auto-register': 'false' });
    expect((await rejection(el.call('4000'))).code).to.equal('NOT_REGISTERED');
    expect((await rejection(el.hangup())).code).to.equal('NOT_REGISTERED');
    await el.register();
    expect((await rejection(el.hangup('nope'))).code).to.equal('NO_SUCH_CALL');
    expect((await rejection(el.answer())).code).to.equal('NO_SUCH_CALL');
    expect((await rejection(el.login())).code).to.equal('PROVISIONING_ERROR');
  });

  it('refuses a blind transfer of a call the agent placed unless callPolicy allows it', async () => {
    const { el, engine } = await registered();
    const out = await el.call('4000');
    engine().remote(out.id, 'established');
    const refused = await rejection(el.transfer('4001', { mode: 'blind' }));
    expect(refused.code).to.equal('NOT_ALLOWED');
    expect(engine().calledWith('transfer')).to.have.length(0);
    el.callPolicy = { outbound: { blindTransfer: true } };
    await el.updateComplete;
    await el.transfer('4001', { mode: 'blind' });
    expect((engine().calledWith('transfer')[0]!.args[1] as { uri: string }).uri).to.equal('sip:4001@server1.test');
  });

  it('a setting changed in the same task as a method call is the one that method uses', async () => {
    const { el, engine } = await registered({ ...DEFAULT_ATTRS, prefix: '11' });
    const out = await el.call('4000');
    engine().remote(out.id, 'established');
    // no await between the property and the method: the policy, slots and dial plan must be current
    el.callPolicy = { outbound: { park: true } };
    el.parkSlots = '705-706';
    const parked = await el.park(out.id);
    expect(parked.slot).to.equal('705');
    expect(engine().calledWith('park')[0]!.args[1]).to.deep.equal(['705', '706']);

    el.linkedServers = [{ prefix: '13', label: 'Kyoto' }];
    const linked = await el.call('13-2099');
    expect(linked.remote).to.include({ number: '132099', kind: 'linked', server: 'Kyoto' });
    el.setAttribute('linked-servers', '[{"prefix":"14","label":"Nara"}]');
    const again = await el.call('142099');
    expect(again.remote).to.include({ number: '142099', kind: 'linked', server: 'Nara' });
  });

  it('keeps the call history in localStorage', async () => {
    const { el, engine } = await registered();
    const call = await el.call('4000');
    engine().remote(call.id, 'ended');
    const stored = JSON.parse(localStorage.getItem('soft-phone:history:3999@server1.test')!) as { records: { id: string }[] };
    expect(stored.records.map((r) => r.id)).to.deep.equal([call.id]);
  });
});

describe('<soft-phone> language', () => {
  it('lang="he" renders Hebrew right-to-left', async () => {
    const { el } = await registered({ ...DEFAULT_ATTRS, lang: 'he' });
    expect($(el, '[part=base]')!.getAttribute('dir')).to.equal('rtl');
    expect($(el, '.reg')!.textContent).to.equal('רשום');
    el.lang = 'pl';
    await el.updateComplete;
    expect($(el, '[part=base]')!.getAttribute('dir')).to.equal('ltr');
    expect($(el, '.reg')!.textContent).to.equal('Zarejestrowany');
  });

  it("follows the document's language when lang is not set", async () => {
    document.documentElement.lang = 'ja-JP';
    const { el } = await registered();
    expect($(el, '.reg')!.textContent).to.equal('登録済み');
    document.documentElement.lang = 'xx';
    await until(() => $(el, '.reg')!.textContent === 'Registered', 'falls back to English');
  });
});

describe('<soft-phone> lifecycle', () => {
  it('removing disposes the engine and adding again registers with a new one, never two alive', async () => {
    const { el, seen } = await registered();
    for (let i = 0; i < 5; i++) {
      el.remove();
      await until(() => FakeEngine.live().length === 0, 'disposed');
      document.body.append(el);
      await until(() => el.registrationState === 'registered', 're-registered');
      expect(FakeEngine.live()).to.have.length(1);
    }
    expect(FakeEngine.created).to.have.length(6);
    expect(FakeEngine.created.slice(0, 5).every((e) => e.disposed)).to.equal(true);
    expect(names(seen).filter((n) => n === 'registered')).to.have.length(6);
  });

  it('re-adding registers again even after unregister()', async () => {
    const { el } = await registered();
    await el.unregister();
    el.remove();
    await until(() => FakeEngine.live().length === 0, 'disposed');
    document.body.append(el);
    await until(() => el.registrationState === 'registered', 're-registered');
  });

  it('loading the definition twice does not throw', async () => {
    const again = (await import(`../../src/soft-phone.ts?again=${Date.now()}`)) as { SoftPhone: typeof SoftPhone };
    expect(again.SoftPhone).to.not.equal(undefined);
    expect(customElements.get('soft-phone')).to.equal(SoftPhone);
  });
});

describe('<soft-phone> focus', () => {
  it('focus() from the host page goes to the number field, or to answer while a call rings', async () => {
    const { el, engine } = await registered();
    el.focus();
    expect(shadow(el).activeElement?.closest('[part=dialpad]')).to.not.equal(null);
    engine().incoming({ number: '4002' });
    await until(() => $(el, '[part=incoming] [data-action=answer]') !== null, 'the ringing card');
    el.focus();
    expect(shadow(el).activeElement?.getAttribute('data-action')).to.equal('answer');
  });

  it('delegates focus: focusing the host by Tab or click lands on a control inside', async () => {
    const { el } = await registered();
    expect(el.shadowRoot!.delegatesFocus).to.equal(true);
    HTMLElement.prototype.focus.call(el);
    expect(shadow(el).activeElement).to.not.equal(null);
  });
});

describe('<soft-phone> keyboard shortcuts', () => {
  const press = (code: string, key: string, mods: KeyboardEventInit = { altKey: true, shiftKey: true }): boolean =>
    document.body.dispatchEvent(new KeyboardEvent('keydown', { code, key, bubbles: true, cancelable: true, ...mods }));

  it('are off by default: the keys do nothing', async () => {
    const { engine } = await registered();
    engine().incoming({ number: '4002' });
    expect(press('KeyA', 'A')).to.equal(true, 'the key is left to the page');
    expect(engine().calledWith('answer')).to.have.length(0);
  });

  it('on (the bare attribute): answer, mute, hold, hang up and the dialpad from anywhere in the page', async () => {
    const { el, engine } = await registered({ ...DEFAULT_ATTRS, shortcuts: '' });
    const call = engine().incoming({ number: '4002' });
    await until(() => el.calls.length === 1, 'the call rings');
    expect(press('KeyA', 'Å')).to.equal(false, 'the shortcut is taken (by the physical key, whatever Alt types)');
    await until(() => el.calls[0]?.state === 'established', 'answered by Alt+Shift+A');
    press('KeyM', 'M');
    await until(() => el.calls[0]?.muted === true, 'muted');
    press('KeyM', 'M');
    await until(() => el.calls[0]?.muted === false, 'unmuted');
    press('KeyP', 'P');
    await until(() => el.calls[0]?.state === 'held', 'held');
    press('KeyP', 'P');
    await until(() => el.calls[0]?.state === 'established', 'resumed');
    press('KeyH', 'H');
    await until(() => el.calls.length === 0, 'hung up');
    expect(engine().calledWith('hangup')[0]).to.deep.include({ args: [call.id] });
    press('KeyD', 'D');
    await until(() => shadow(el).activeElement?.closest('[part=dialpad]') != null, 'the number field focused');
  });

  it('keys of its own: only the actions named; a bad key is INVALID_CONFIG naming it', async () => {
    const { el, seen, engine } = await registered();
    el.shortcuts = { answer: 'F2' };
    engine().incoming({ number: '4002' });
    await until(() => el.calls.length === 1, 'the call rings');
    expect(press('KeyA', 'A')).to.equal(true, 'the default key is not taken');
    press('F2', 'F2', {});
    await until(() => el.calls[0]?.state === 'established', 'answered by F2');
    el.shortcuts = { answer: 'Hyper+Q' };
    await until(() => seen.some((s) => s.type === 'error'), 'the configuration error');
    expect(JSON.stringify(seen.find((s) => s.type === 'error')!.detail)).to.contain('INVALID_CONFIG').and.contain('Hyper+Q');
  });
});
