/**
 * `<soft-phone-monitor>` in Chromium against a scripted provisioning server: `GET /monitor` through
 * the element's injectable `fetch`, and the event stream through a fake EventSource the test drives
 * (open, events, failure), so every reconnect path can be walked without waiting for real servers.
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/monitor/index.js';
import type { SoftPhoneMonitor } from '../../src/monitor/index.js';
import type { EventSourceLike, MonitorStreamOptions } from '../../src/monitor/stream.js';
import type { MonitorExtension, MonitorSnapshot } from '../../src/monitor/types.js';
import { recordEvents, until } from './helpers.js';

const BASE = 'http://prov.test/api';

/** An EventSource the test drives. */
class FakeSource implements EventSourceLike {
  static all: FakeSource[] = [];
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  readonly listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeSource.all.push(this);
  }
  static live(): FakeSource[] {
    return FakeSource.all.filter((s) => !s.closed);
  }
  addEventListener(type: string, listener: (e: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.(new Event('open'));
  }
  send(type: string, data: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  fail(): void {
    this.onerror?.(new Event('error'));
  }
}

const now = Date.now();
const ext = (server: string, number: string, more: Partial<MonitorExtension> = {}): MonitorExtension => ({ number, server, registered: true, calls: [], ...more });
const SNAPSHOT: MonitorSnapshot = {
  servers: [
    { name: 'server1', prefix: '11', concurrentCalls: 1, limit: 0, parkedCalls: 0 },
    { name: 'server2', prefix: '12', concurrentCalls: 1, limit: 1, parkedCalls: 1 },
  ],
  extensions: [
    ext('server1', '3999', { agent: 'alice', status: 'available', calls: [{ id: 'c1', direction: 'outbound', remote: '122099', since: now - 65_000, state: 'established' }] }),
    ext('server1', '4000', { agent: 'carol', status: 'break' }),
    ext('server1', '4001', { registered: false }),
    ext('server2', '2099', { agent: 'bob', status: 'available', calls: [{ id: 'c1', direction: 'inbound', remote: '113999', since: now - 65_000, state: 'established' }] }),
  ],
};

/** The scripted server: what `GET /monitor` answers (a status, or a snapshot), and every request. */
function server(answer: () => number | MonitorSnapshot = () => SNAPSHOT) {
  const requests: string[] = [];
  const fetchFn: typeof fetch = async (input) => {
    requests.push(String(input));
    const a = answer();
    if (typeof a === 'number') {
      if (a === 0) throw new TypeError('Failed to fetch');
      return new Response('{"code":"NOT_FOUND"}', { status: a, headers: { 'content-type': 'application/json' } });
    }
    return Response.json(a);
  };
  const options: MonitorStreamOptions = { fetch: fetchFn, EventSource: FakeSource, retryMs: 20, maxRetryMs: 40, offlineAfter: 3 };
  return { requests, options };
}

const mounted: HTMLElement[] = [];
function attach<T extends HTMLElement>(el: T): T {
  document.body.append(el);
  mounted.push(el);
  return el;
}

async function mount(attrs: Record<string, string>, options?: MonitorStreamOptions): Promise<SoftPhoneMonitor> {
  const el = document.createElement('soft-phone-monitor');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (options) el.streamOptions = options;
  attach(el);
  await el.updateComplete;
  return el;
}

/** Mounted on BASE, its stream open: the last FakeSource. */
async function live(attrs: Record<string, string> = {}, answer?: () => number | MonitorSnapshot) {
  const s = server(answer);
  const el = await mount({ 'provisioning-url': BASE, ...attrs }, s.options);
  await until(() => FakeSource.live().length === 1, 'the stream opened');
  const source = FakeSource.live()[0]!;
  source.open();
  source.send('snapshot', SNAPSHOT);
  await until(() => el.connectionState === 'connected', 'connected');
  await el.updateComplete;
  return { el, source, ...s };
}

const root = (el: SoftPhoneMonitor) => el.shadowRoot!;
const rows = (el: SoftPhoneMonitor) => [...root(el).querySelectorAll<HTMLTableRowElement>('table.extensions tbody tr[data-number]')];
const numbers = (el: SoftPhoneMonitor) => rows(el).map((r) => r.dataset.number);
const cell = (el: SoftPhoneMonitor, number: string, cls: string) =>
  root(el).querySelector(`tr[data-number="${number}"] .${cls}`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
const badge = (el: SoftPhoneMonitor) => root(el).querySelector('[part=connection]')!;

describe('<soft-phone-monitor>', () => {
  beforeEach(() => {
    FakeSource.all = [];
    document.documentElement.lang = '';
  });
  afterEach(async () => {
    for (const el of mounted.splice(0)) el.remove();
    await until(() => FakeSource.live().length === 0, 'every stream closed once the element is gone');
  });

  it('a supervisor sees every server and every extension with its calls: the linked partner with its prefix, direction, a ticking duration, the state', async () => {
    const { el, requests } = await live();
    expect(requests).to.deep.equal([`${BASE}/monitor`]);
    expect(FakeSource.all[0]!.url).to.equal(`${BASE}/monitor/events`);
    const servers = [...root(el).querySelectorAll('table.servers tbody tr')].map((r) => r.textContent!.replace(/\s+/g, ' ').trim());
    expect(servers).to.deep.equal(['server1 11 1 (no limit) 0', 'server2 12 1 of 1 1']);
    expect(root(el).querySelector('tr[data-server=server2] .concurrent .full'), 'a server at its limit stands out').not.to.equal(null);
    expect(numbers(el)).to.deep.equal(['3999', '4000', '4001', '2099']);
    expect(cell(el, '3999', 'remote')).to.equal('122099 (server2)');
    expect(cell(el, '2099', 'remote')).to.equal('113999 (server1)');
    expect([cell(el, '3999', 'direction'), cell(el, '2099', 'direction')]).to.deep.equal(['Outgoing', 'Incoming']);
    expect(cell(el, '3999', 'state')).to.equal('Talking');
    expect([cell(el, '4000', 'agent'), cell(el, '4000', 'status'), cell(el, '4001', 'registered')]).to.deep.equal(['carol', 'break', 'No']);
    expect(cell(el, '3999', 'since')).to.match(/^1:0[56]$/);
    const first = cell(el, '3999', 'since');
    await until(() => cell(el, '3999', 'since') !== first, 'the duration ticks');
    expect(badge(el).textContent!.trim()).to.equal('Live');
    expect(el.getAttribute('connection-state')).to.equal('connected');
  });

  it('the stream\'s events change the table: registration, status, a new ringing call from the linked server, its end, a parked call on a server', async () => {
    const { el, source } = await live();
    source.send('extension', ext('server1', '4001', { agent: 'dave', status: 'lunch' }));
    source.send('call', { server: 'server1', extension: '4000', call: { id: 'c2', direction: 'inbound', remote: '122099', since: Date.now(), state: 'ringing' } });
    source.send('server', { ...SNAPSHOT.servers[0]!, parkedCalls: 2, concurrentCalls: 3, limit: 5 });
    await el.updateComplete;
    expect([cell(el, '4001', 'registered'), cell(el, '4001', 'agent'), cell(el, '4001', 'status')]).to.deep.equal(['Yes', 'dave', 'lunch']);
    expect([cell(el, '4000', 'remote'), cell(el, '4000', 'state'), cell(el, '4000', 'since')]).to.deep.equal(['122099 (server2)', 'Ringing', '0:00']);
    expect(root(el).querySelector('tr[data-server=server1] .concurrent')!.textContent!.trim()).to.equal('3 of 5');
    expect(root(el).querySelector('tr[data-server=server1] .parked')!.textContent!.trim()).to.equal('2');
    source.send('call', { server: 'server1', extension: '4000', call: { id: 'c2', direction: 'inbound', remote: '122099', since: Date.now(), state: 'ended' } });
    await el.updateComplete;
    expect(cell(el, '4000', 'remote')).to.equal('');
    expect(el.extensions.find((x) => x.number === '4000')!.calls).to.deep.equal([]);
    // a malformed event is ignored, nothing breaks
    source.send('extension', { number: 7 });
    await el.updateComplete;
    expect(numbers(el)).to.have.length(4);
  });

  it('filters by server, by status and to extensions on a call; the count says how many are shown', async () => {
    const { el } = await live();
    const count = () => root(el).querySelector('output.count')!.textContent!.trim();
    const choose = async (name: string, value: string) => {
      const select = root(el).querySelector<HTMLSelectElement>(`select[name=${name}]`)!;
      select.value = value;
      select.dispatchEvent(new Event('change'));
      await el.updateComplete;
    };
    expect([...root(el).querySelectorAll('select[name=status] option')].map((o) => o.textContent)).to.deep.equal(['All', 'available', 'break']);
    await choose('server', 'server2');
    expect(numbers(el)).to.deep.equal(['2099']);
    expect(el.serverFilter).to.equal('server2');
    expect(count()).to.equal('1 of 4 extensions');
    await choose('server', '');
    await choose('status', 'available');
    expect(numbers(el)).to.deep.equal(['3999', '2099']);
    await choose('status', '');
    root(el).querySelector<HTMLInputElement>('input[name=on-call]')!.click();
    await el.updateComplete;
    expect(el.onCall).to.equal(true);
    expect(numbers(el)).to.deep.equal(['3999', '2099']);
    // attributes set the same filters
    el.setAttribute('server-filter', 'server1');
    el.setAttribute('status-filter', 'break');
    el.removeAttribute('on-call');
    el.onCall = false;
    await el.updateComplete;
    expect(numbers(el)).to.deep.equal(['4000']);
    el.setAttribute('status-filter', 'lunch');
    await el.updateComplete;
    expect(rows(el)).to.have.length(0);
    expect(root(el).querySelector('table.extensions tbody')!.textContent!.trim()).to.equal('No extension matches the filters.');
  });

  it('sorts by a column from its header button, with the mouse and the keyboard; aria-sort says how', async () => {
    const { el } = await live();
    const header = (key: string) => root(el).querySelector<HTMLButtonElement>(`button[data-sort=${key}]`)!;
    const ariaSort = (key: string) => header(key).closest('th')!.getAttribute('aria-sort');
    expect(ariaSort('number')).to.equal('none');
    header('number').click();
    await el.updateComplete;
    expect(ariaSort('number')).to.equal('ascending');
    expect(numbers(el)).to.deep.equal(['2099', '3999', '4000', '4001']);
    header('number').focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(ariaSort('number')).to.equal('descending');
    expect(numbers(el)).to.deep.equal(['4001', '4000', '3999', '2099']);
    await sendKeys({ press: 'Tab' });
    expect(root(el).activeElement).to.equal(header('server'));
    await sendKeys({ press: 'Space' });
    await el.updateComplete;
    expect([ariaSort('server'), ariaSort('number')]).to.deep.equal(['ascending', 'none']);
    expect(el.sortBy).to.equal('server');
    // by agent: extensions without one go last, in both directions
    el.sortBy = 'agent';
    el.sortDirection = 'descending';
    await el.updateComplete;
    expect(numbers(el)).to.deep.equal(['4000', '2099', '3999', '4001']);
    expect(root(el).querySelectorAll('th[aria-sort=descending]')).to.have.length(1);
  });

  it('a broken stream: "Reconnecting…", then "Offline, retrying" after three failed attempts; back to "Live" with a fresh snapshot', async () => {
    let down = false;
    const fresh: MonitorSnapshot = { ...SNAPSHOT, extensions: [ext('server1', '3999', { agent: 'alice', status: 'lunch' })] };
    let answered = 0;
    const { el, source } = await live({}, () => (down ? 0 : answered++ > 0 ? fresh : SNAPSHOT));
    const seen = recordEvents(el, ['monitor-connection', 'monitor-error']);
    down = true;
    source.fail();
    expect(source.closed).to.equal(true);
    await el.updateComplete;
    expect(el.connectionState).to.equal('reconnecting');
    expect(badge(el).textContent!.trim()).to.equal('Reconnecting…');
    expect(badge(el).getAttribute('role')).to.equal('status');
    await until(() => el.connectionState === 'offline', 'offline after three failed attempts');
    await el.updateComplete;
    expect(badge(el).textContent!.trim()).to.equal('Offline, retrying');
    expect(numbers(el), 'the last known table stays up').to.have.length(4);
    down = false;
    await until(() => FakeSource.live().length === 1, 'a new stream');
    const again = FakeSource.live()[0]!;
    again.open();
    await until(() => el.connectionState === 'connected', 'connected again');
    await el.updateComplete;
    expect(numbers(el)).to.deep.equal(['3999']);
    expect(cell(el, '3999', 'status')).to.equal('lunch');
    expect(seen.filter((s) => s.type === 'monitor-connection').map((s) => (s.detail as { state: string }).state)).to.deep.equal([
      'reconnecting',
      'offline',
      'connected',
    ]);
    const errors = seen.filter((s) => s.type === 'monitor-error').map((s) => (s.detail as { message: string }).message);
    expect(errors, 'each failure reported once, not on every retry').to.deep.equal([
      `the monitor stream ${BASE}/monitor/events was interrupted`,
      `GET ${BASE}/monitor failed: Failed to fetch`,
    ]);
    expect(root(el).querySelector('[part=error]'), 'the error clears once live again').to.equal(null);
  });

  it('a bad provisioning-url is an INVALID_CONFIG error naming it; a server without the monitor: PROVISIONING_ERROR naming URL and status, once', async () => {
    const s = server(() => 404);
    const bad = await mount({ 'provisioning-url': 'not a url' }, s.options);
    await until(() => root(bad).querySelector('[part=error]') !== null, 'the error shown');
    expect(root(bad).querySelector('[part=error] span')!.textContent).to.equal('Monitor error: provisioning-url "not a url" is not a URL');
    const seen = recordEvents(bad, ['monitor-error']);
    bad.provisioningUrl = 'ftp://prov.test/api';
    await bad.updateComplete;
    expect(seen).to.deep.equal([{ type: 'monitor-error', detail: { code: 'INVALID_CONFIG', message: 'provisioning-url "ftp://prov.test/api" must be http or https' } }]);
    expect(s.requests, 'nothing fetched').to.deep.equal([]);
    expect(bad.connectionState).to.equal('idle');

    const errors: unknown[] = [];
    const missing = document.createElement('soft-phone-monitor');
    missing.addEventListener('softphone-monitor-error', (e) => errors.push(e.detail));
    missing.streamOptions = s.options;
    missing.provisioningUrl = `${BASE}/`;
    attach(missing);
    await until(() => missing.connectionState === 'offline', 'offline');
    expect(errors).to.deep.equal([{ code: 'PROVISIONING_ERROR', message: `GET ${BASE}/monitor answered 404` }]);
    expect(s.requests.length).to.be.greaterThanOrEqual(3);
    expect(FakeSource.all, 'no stream without a snapshot').to.have.length(0);
  });

  it('speaks ja, pl and he (right to left, from the page language too); the table keeps its headers', async () => {
    const { el } = await live({ lang: 'he' });
    const base = root(el).querySelector('[part=base]')!;
    expect([base.getAttribute('dir'), base.getAttribute('lang')]).to.deep.equal(['rtl', 'he']);
    expect(badge(el).textContent!.trim()).to.equal('חי');
    expect(cell(el, '3999', 'direction')).to.equal('יוצאת');
    el.lang = '';
    document.documentElement.lang = 'ja-JP';
    await until(() => badge(el).textContent!.trim() === 'ライブ', 'Japanese from the page');
    expect(root(el).querySelector('[part=base]')!.getAttribute('dir')).to.equal('ltr');
    el.lang = 'pl';
    await el.updateComplete;
    expect([...root(el).querySelectorAll('table.extensions thead th')].map((th) => th.textContent!.trim())).to.deep.equal([
      'Numer',
      'Serwer',
      'Zarejestrowany',
      'Agent',
      'Status',
      'Rozmowa z',
      'Kierunek',
      'Czas trwania',
      'Stan połączenia',
    ]);
    expect(root(el).querySelectorAll('table.extensions tbody th[scope=row]')).to.have.length(4);
  });

  it('removing the element closes its stream; adding it back opens a new one', async () => {
    const { el } = await live();
    el.remove();
    expect(FakeSource.live()).to.have.length(0);
    expect(el.connectionState).to.equal('idle');
    document.body.append(el);
    await until(() => FakeSource.live().length === 1, 'a new stream');
    FakeSource.live()[0]!.open();
    await until(() => el.connectionState === 'connected', 'connected again');
    el.remove();
  });
});
