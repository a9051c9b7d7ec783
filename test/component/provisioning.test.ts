/**
 * The agent login side of `<soft-phone>`: login step, sessions, statuses, forwarding and every
 * provisioning failure, against msw handlers (the provisioning API as API.md describes it) and the
 * fake engine. msw answers through the element's injectable `fetch` (no service worker needed).
 */
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import { delay, getResponse, http, HttpResponse, type RequestHandler } from 'msw';
import type { SoftPhone } from '../../src/soft-phone.js';
import { FakeEngine } from './fake-engine.js';
import { attach, expectAccessible, isolateTests, mountPhone, onlyEngine as engine, recordEvents, rejection, until, type Seen } from './helpers.js';

isolateTests();

const BASE = 'http://prov.test/api';
const SECRET = 'Sip-Pa55-from-the-server!';
const MOBILE = '+48601234567';
const TIMEOUT_MS = 300;

/** The server's order on purpose: the login step must reorder it. */
const EXTENSIONS = [
  { number: '105', kind: 'shared', label: 'Bartek Agent' },
  { number: '650', kind: 'shared', label: '' },
  { number: '600', kind: 'virtual', label: `mobile ${MOBILE}`, mobile: MOBILE },
  { number: '101', kind: 'personal', label: 'Agnieszka Agent' },
  { number: '102', kind: 'shared', label: 'Celina Agent' },
];
const STATUSES = ['available', 'break', 'lunch', 'incoming call', 'outgoing call'];

interface Server {
  log: { method: string; path: string; body: unknown }[];
  forwarding: Record<string, Record<string, unknown>>;
  /** Handlers that win over the normal ones (failures). */
  override: RequestHandler[];
}

function softphoneSession(extension: string) {
  return {
    sip: {
      server: ['ws://127.0.0.1:8088', 'ws://127.0.0.1:8090'],
      domain: 'server1.test',
      extension,
      authUser: `auth${extension}`,
      password: SECRET,
      displayName: 'Agnieszka Agent',
    },
    status: 'available',
    statuses: STATUSES,
  };
}

function handlers(s: Server): RequestHandler[] {
  return [
    ...s.override,
    http.get(`${BASE}/agents/agent1/extensions`, () => HttpResponse.json(EXTENSIONS)),
    http.post(`${BASE}/agents/agent1/session`, async ({ request }) => {
      const { extension } = (await request.json()) as { extension?: string };
      if (extension === '600') {
        return HttpResponse.json({ sip: null, virtual: { extension: '600', mobile: MOBILE }, status: 'virtual', statuses: ['virtual', 'break', 'lunch'] });
      }
      return HttpResponse.json(softphoneSession(extension ?? '650'));
    }),
    http.delete(`${BASE}/agents/agent1/session`, () => new HttpResponse(null, { status: 204 })),
    http.put(`${BASE}/agents/agent1/status`, async ({ request }) => HttpResponse.json((await request.json()) as Record<string, unknown>)),
    http.get(`${BASE}/extensions/:n/forwarding`, ({ params }) => HttpResponse.json(s.forwarding[params.n as string] ?? {})),
    http.put(`${BASE}/extensions/:n/forwarding`, async ({ request, params }) => {
      const body = (await request.json()) as Record<string, unknown>;
      s.forwarding[params.n as string] = body;
      return HttpResponse.json(body);
    }),
  ];
}

/** A fetch that asks the msw handlers, honours the abort signal and turns `HttpResponse.error()` into a network failure. */
function mswFetch(s: Server): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    s.log.push({ method: request.method, path: new URL(request.url).pathname.replace('/api', ''), body });
    const aborted = new Promise<never>((_, reject) =>
      init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError'))),
    );
    const response = await Promise.race([getResponse(handlers(s), request), aborted]);
    if (!response) throw new TypeError(`no handler for ${request.method} ${request.url}`);
    if (response.type === 'error') throw new TypeError('Failed to fetch');
    return response;
  };
}

async function agentPhone(attrs: Record<string, string> = {}) {
  const server: Server = { log: [], forwarding: {}, override: [] };
  let seen: Seen[] = [];
  const el = await mountPhone({ 'provisioning-url': BASE, agent: 'agent1', ...attrs }, (el) => {
    el.provisioningOptions = { fetch: mswFetch(server), timeoutMs: TIMEOUT_MS };
    seen = recordEvents(el, ['registered', 'unregistered', 'status-changed', 'error', 'call-ended']);
  });
  return { el, server, seen };
}

const $ = <T extends Element = HTMLElement>(el: SoftPhone, sel: string): T | null => el.shadowRoot!.querySelector<T>(sel);
const $$ = <T extends Element = HTMLElement>(el: SoftPhone, sel: string): T[] => [...el.shadowRoot!.querySelectorAll<T>(sel)];
const text = (el: SoftPhone): string => el.shadowRoot!.textContent?.replace(/\s+/g, ' ') ?? '';
const choices = (el: SoftPhone): string[] => $$(el, '.choice').map((b) => b.dataset.number!);
const errors = (seen: Seen[]) => seen.filter((s) => s.type === 'error').map((s) => s.detail as { code: string; message: string });
const statuses = (seen: Seen[]) => seen.filter((s) => s.type === 'status-changed').map((s) => (s.detail as { status: string }).status);

async function listed(el: SoftPhone): Promise<void> {
  await until(() => choices(el).length === EXTENSIONS.length + 1, 'the login list');
}

async function loggedIn(extension = '101') {
  const m = await agentPhone();
  await m.el.login(extension);
  await m.el.updateComplete;
  return m;
}

/** Picks a status in the menu as the agent does. */
function choose(el: SoftPhone, status: string): void {
  const select = $<HTMLSelectElement>(el, 'select[data-status]')!;
  select.value = status;
  select.dispatchEvent(new Event('change'));
}

function type(el: SoftPhone, name: string, value: string): void {
  const input = $<HTMLInputElement>(el, `input[name=${name}]`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

describe('<soft-phone> agent login', () => {
  it('shows the login step instead of the dialer: personal, mobile, the others, then automatic, whatever the server order', async () => {
    const { el } = await agentPhone();
    await listed(el);
    expect(choices(el)).to.deep.equal(['101', '600', '105', '650', '102', 'automatic']);
    const labels = $$(el, '.choice').map((b) => [...b.querySelectorAll('span')].map((x) => x.textContent).join(' '));
    expect(labels[0]).to.equal('101 Agnieszka Agent');
    expect(labels[1]).to.equal(`600 mobile ${MOBILE}`);
    expect(labels.at(-1)).to.equal('Automatic any free number');
    expect($(el, '[part=dialpad]')).to.equal(null);
    expect($(el, '[part=header]')).to.equal(null);
    expect(FakeEngine.created.length, 'nothing registers before the login').to.equal(0);
  });

  it('choosing an extension with the keyboard logs in and registers with the SIP settings the server returned', async () => {
    const { el, server, seen } = await agentPhone();
    await listed(el);
    $<HTMLButtonElement>(el, '.choice')!.focus();
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'Enter' });
    await until(() => el.registrationState === 'registered', 'registered');
    expect(server.log.find((r) => r.method === 'POST')!.body).to.deep.equal({ extension: '105' });
    const config = engine().config!;
    expect(config.servers).to.deep.equal(['ws://127.0.0.1:8088', 'ws://127.0.0.1:8090']);
    expect(config).to.include({ domain: 'server1.test', extension: '105', authUser: 'auth105', displayName: 'Agnieszka Agent', password: SECRET });
    expect(el.status).to.equal('available');
    expect(statuses(seen)).to.deep.equal(['available']);
    await el.updateComplete;
    expect($(el, '.aor')!.textContent).to.equal('105@server1.test');
    expect($(el, '[part=dialpad]')).to.not.equal(null);
    await until(() => el.shadowRoot!.activeElement === $(el, 'select[data-status]'), 'focus on the status menu');
    // The password went to the engine only.
    expect(el.shadowRoot!.innerHTML + el.outerHTML + JSON.stringify(seen)).to.not.contain(SECRET);
    expect(el.password).to.equal(undefined);
  });

  it('automatic login: login() without a number lets the server pick, and registers at that number', async () => {
    const { el, server } = await agentPhone();
    await el.login();
    expect(server.log.find((r) => r.method === 'POST')!.body).to.deep.equal({});
    await until(() => el.registrationState === 'registered', 'registered');
    expect(engine().config!.extension).to.equal('650');
  });

  it('clicking Automatic in the login step logs in the same way', async () => {
    const { el } = await agentPhone();
    await listed(el);
    $<HTMLButtonElement>(el, '[data-number=automatic]')!.click();
    await until(() => el.registrationState === 'registered', 'registered');
    expect(engine().config!.extension).to.equal('650');
  });

  it('virtual login: nothing registers, status virtual, no automatic statuses offered, no call controls', async () => {
    const { el, seen } = await agentPhone();
    await listed(el);
    $<HTMLButtonElement>(el, '[data-number="600"]')!.click();
    await until(() => el.status === 'virtual', 'status virtual');
    await el.updateComplete;
    // The number is isolated left-to-right (so its + stays in front in Hebrew).
    expect($(el, '[data-virtual]')!.textContent).to.equal(`Calls go to your mobile \u2066${MOBILE}\u2069`);
    expect(statuses(seen)).to.deep.equal(['virtual']);
    const menu = $$<HTMLOptionElement>(el, 'select[data-status] option').map((o) => o.value);
    expect(menu).to.deep.equal(['virtual', 'break', 'lunch']);
    expect($(el, '[part=dialpad]'), 'no dialpad').to.equal(null);
    expect($(el, '[part=header]'), 'no registration header').to.equal(null);
    expect(FakeEngine.created.flatMap((e) => e.calledWith('register'))).to.have.length(0);
    expect(el.registrationState).to.equal('unregistered');
    const refused = await rejection(el.setStatus('incoming call'));
    expect(refused.code).to.equal('INVALID_CONFIG');
    expect(refused.message).to.contain('"incoming call"');
  });

  it('logout() unregisters, ends the session (DELETE) and shows the login step again; refused during a call', async () => {
    const { el, server, seen } = await loggedIn();
    await until(() => el.registrationState === 'registered', 'registered');
    const call = await el.call('3999');
    expect((await rejection(el.logout())).code).to.equal('NOT_ALLOWED');
    await el.hangup(call.id);
    let requestsWhenUnregistered = -1;
    el.addEventListener('softphone-unregistered', () => (requestsWhenUnregistered = server.log.length));
    await el.logout();
    expect(el.registrationState).to.equal('unregistered');
    const deleteAt = server.log.findIndex((r) => r.method === 'DELETE' && r.path === '/agents/agent1/session');
    expect(requestsWhenUnregistered, 'unregistered first').to.be.greaterThan(-1);
    expect(deleteAt, 'then the session ends').to.be.at.least(requestsWhenUnregistered);
    expect(seen.some((s) => s.type === 'unregistered')).to.equal(true);
    await listed(el);
    expect(el.extension).to.equal('');
  });

  it('removing the element keeps the session: added again, it registers again without a new login', async () => {
    const { el, server } = await loggedIn();
    await until(() => el.registrationState === 'registered', 'registered');
    el.remove();
    await until(() => FakeEngine.live().length === 0, 'disposed');
    document.body.append(el);
    await until(() => el.registrationState === 'registered', 'registered again');
    expect(server.log.filter((r) => r.method === 'POST')).to.have.length(1);
    expect(server.log.some((r) => r.method === 'DELETE')).to.equal(false);
    expect(engine().config!.password).to.equal(SECRET);
  });
});

describe('<soft-phone> agent login shared by the phones of one agent (tabs)', () => {
  /** Delivered after anything posted before it on the agent's channel (same name: in order). */
  async function channelBarrier(): Promise<void> {
    const name = `soft-phone-agent:agent1@${BASE}`;
    const [send, receive] = [new BroadcastChannel(name), new BroadcastChannel(name)];
    const got = new Promise((r) => (receive.onmessage = r));
    send.postMessage({ type: 'probe', from: 'test' });
    await got;
    send.close();
    receive.close();
  }

  it('a login in one phone shows in the other without a request of its own; a status and a logout there reach the first', async () => {
    const a = await agentPhone();
    const b = await agentPhone();
    await listed(a.el);
    await listed(b.el);
    await a.el.login('101');
    await until(() => choices(b.el).length === 0 && b.el.extension === '101' && b.el.tabRole === 'follower', 'b shows the login and follows');
    expect(b.server.log.filter((r) => r.method === 'POST')).to.have.length(0);
    expect(b.el.status).to.equal('available');
    expect(b.el.shadowRoot!.innerHTML).not.to.contain(SECRET);
    await b.el.setStatus('break');
    await until(() => a.el.status === 'break', 'a shows the status chosen in b');
    expect(statuses(a.seen)).to.deep.equal(['available', 'break']);
    await b.el.logout();
    await until(() => choices(a.el).length === EXTENSIONS.length + 1 && a.el.extension === '', 'a is logged out too');
    expect(a.server.log.filter((r) => r.method === 'DELETE')).to.have.length(0);
  });

  it('tab-sharing="off": each phone logs in on its own', async () => {
    const a = await agentPhone({ 'tab-sharing': 'off' });
    const b = await agentPhone({ 'tab-sharing': 'off' });
    await listed(a.el);
    await listed(b.el);
    await a.el.login('101');
    await a.el.updateComplete;
    await channelBarrier();
    await b.el.updateComplete;
    expect(choices(b.el)).to.have.length(EXTENSIONS.length + 1);
    expect(b.el.extension).to.equal('');
  });
});

describe('<soft-phone> agent status', () => {
  it('the status menu PUTs the choice, updates `status` and fires softphone-status-changed', async () => {
    const { el, server, seen } = await loggedIn();
    const menu = $$<HTMLOptionElement>(el, 'select[data-status] option').map((o) => o.value);
    expect(menu).to.deep.equal(['available', 'break', 'lunch']);
    choose(el, 'break');
    await until(() => el.status === 'break', 'status break');
    expect(server.log.at(-1)).to.deep.include({ method: 'PUT', path: '/agents/agent1/status', body: { status: 'break' } });
    expect(statuses(seen)).to.deep.equal(['available', 'break']);
    await el.updateComplete;
    expect($<HTMLSelectElement>(el, 'select[data-status]')!.value).to.equal('break');
  });

  it('an unknown status is INVALID_CONFIG naming it, and nothing is sent', async () => {
    const { el, server } = await loggedIn();
    const before = server.log.length;
    const error = await rejection(el.setStatus('coffee'));
    expect(error.code).to.equal('INVALID_CONFIG');
    expect(error.message).to.contain('"coffee"');
    expect(server.log.length).to.equal(before);
    expect(el.status).to.equal('available');
  });

  it('while a call is up the status is the call (incoming / outgoing), then the chosen status again', async () => {
    const { el, server, seen } = await loggedIn();
    await until(() => el.registrationState === 'registered', 'registered');
    await el.setStatus('break');
    const puts = () => server.log.filter((r) => r.path === '/agents/agent1/status').map((r) => (r.body as { status: string }).status);
    const ringing = engine().incoming({ number: '4000' });
    expect(el.status, 'ringing is not yet a call').to.equal('break');
    await el.answer(ringing.id);
    expect(el.status).to.equal('incoming call');
    await el.updateComplete;
    const select = $<HTMLSelectElement>(el, 'select[data-status]')!;
    expect(select.selectedOptions[0]!.textContent).to.equal('Incoming call');
    await el.hangup(ringing.id);
    expect(el.status).to.equal('break');
    const out = await el.call('3999');
    expect(el.status).to.equal('outgoing call');
    await el.hangup(out.id);
    expect(el.status).to.equal('break');
    expect(statuses(seen)).to.deep.equal(['available', 'break', 'incoming call', 'break', 'outgoing call', 'break']);
    await until(() => puts().length === 5, 'every status on the server');
    expect(puts()).to.deep.equal(['break', 'incoming call', 'break', 'outgoing call', 'break']);
  });
});

describe('<soft-phone> call forwarding', () => {
  it('the panel loads the settings, refuses bad values before sending (localized), then saves', async () => {
    const { el, server } = await loggedIn();
    server.forwarding['101'] = { busy: '4000' };
    $<HTMLButtonElement>(el, '[data-action=forwarding]')!.click();
    await until(() => $(el, 'input[name=busy]') !== null, 'the form');
    await el.updateComplete;
    expect($<HTMLInputElement>(el, 'input[name=busy]')!.value).to.equal('4000');
    type(el, 'always', '12x');
    $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
    await el.updateComplete;
    expect($(el, 'input[name=always]')!.getAttribute('aria-invalid')).to.equal('true');
    expect($(el, '.fwd .bad')!.textContent).to.contain('Always: an extension or phone number');
    expect(server.log.some((r) => r.method === 'PUT' && r.path.includes('forwarding'))).to.equal(false);
    type(el, 'always', '3999');
    type(el, 'noAnswer', '4001');
    type(el, 'seconds', '200');
    $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
    await el.updateComplete;
    expect($(el, 'input[name=seconds]')!.getAttribute('aria-invalid')).to.equal('true');
    expect(server.log.some((r) => r.method === 'PUT' && r.path.includes('forwarding'))).to.equal(false);
    type(el, 'seconds', '25');
    $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
    await until(() => text(el).includes('Saved'), 'saved');
    expect(server.forwarding['101']).to.deep.equal({ always: '3999', busy: '4000', noAnswer: { target: '4001', seconds: 25 } });
    expect(await el.getForwarding()).to.deep.equal(server.forwarding['101']);
  });

  it('getForwarding()/setForwarding() act on the agent extension; bad settings are INVALID_CONFIG naming the value', async () => {
    const { el, server } = await loggedIn();
    const self = await rejection(el.setForwarding({ always: '101' }));
    expect(self.code).to.equal('INVALID_CONFIG');
    expect(self.message).to.contain('101');
    const bad = await rejection(el.setForwarding({ noAnswer: { target: '4000', seconds: 2 } }));
    expect(bad.code).to.equal('INVALID_CONFIG');
    expect(bad.message).to.contain('2');
    expect(server.log.some((r) => r.method === 'PUT')).to.equal(false);
    expect(await el.setForwarding({ unavailable: '+48601234567' })).to.deep.equal({ unavailable: '+48601234567' });
    expect(server.forwarding['101']).to.deep.equal({ unavailable: '+48601234567' });
  });

  it('a failed save keeps what the agent typed and says why', async () => {
    const { el, server, seen } = await loggedIn();
    $<HTMLButtonElement>(el, '[data-action=forwarding]')!.click();
    await until(() => $(el, 'input[name=busy]') !== null, 'the form');
    server.override.push(http.put(`${BASE}/extensions/:n/forwarding`, () => HttpResponse.json({ code: 'INTERNAL', message: 'disk full' }, { status: 500 })));
    type(el, 'busy', '4000');
    type(el, 'unavailable', '+48601234567');
    $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
    await until(() => $(el, '.forwarding [role=alert]') !== null, 'the error');
    expect($(el, '.forwarding [role=alert]')!.textContent).to.contain('Login service error').and.contain('500');
    expect($<HTMLInputElement>(el, 'input[name=busy]')!.value).to.equal('4000');
    expect($<HTMLInputElement>(el, 'input[name=unavailable]')!.value).to.equal('+48601234567');
    expect(errors(seen).at(-1)!.code).to.equal('PROVISIONING_ERROR');
  });
});

describe('<soft-phone> provisioning failures', () => {
  const FAILURES: { name: string; handler: RequestHandler; code: string; message: RegExp }[] = [
    {
      name: '409 NO_FREE_NUMBER',
      handler: http.post(`${BASE}/agents/agent1/session`, () => HttpResponse.json({ code: 'NO_FREE_NUMBER', message: 'all taken' }, { status: 409 })),
      code: 'NO_FREE_NUMBER',
      message: /No free number or the number is invalid/,
    },
    {
      name: '500',
      handler: http.post(`${BASE}/agents/agent1/session`, () => HttpResponse.json({ code: 'INTERNAL', message: 'boom' }, { status: 500 })),
      code: 'PROVISIONING_ERROR',
      message: /answered 500/,
    },
    {
      name: 'a timeout',
      handler: http.post(`${BASE}/agents/agent1/session`, async () => {
        await delay('infinite');
        return HttpResponse.json({});
      }),
      code: 'PROVISIONING_ERROR',
      message: new RegExp(`within ${TIMEOUT_MS} ms`),
    },
    {
      name: 'a network error',
      handler: http.post(`${BASE}/agents/agent1/session`, () => HttpResponse.error()),
      code: 'PROVISIONING_ERROR',
      message: /unreachable/,
    },
    {
      name: 'malformed JSON',
      handler: http.post(`${BASE}/agents/agent1/session`, () => new HttpResponse('{"sip": {', { headers: { 'content-type': 'application/json' } })),
      code: 'PROVISIONING_ERROR',
      message: /malformed JSON/,
    },
  ];

  for (const f of FAILURES) {
    it(`${f.name} at login: ${f.code}, a localized message in the login step, softphone-error, the list kept`, async () => {
      const { el, server, seen } = await agentPhone({ lang: 'pl' });
      await listed(el);
      server.override.push(f.handler);
      $<HTMLButtonElement>(el, '[data-number=automatic]')!.click();
      await until(() => $(el, '.login [role=alert]') !== null, 'the error in the login step');
      const shown = $(el, '.login [role=alert]')!.textContent!;
      if (f.code === 'NO_FREE_NUMBER') expect(shown).to.contain('Brak wolnego numeru lub numer nieprawidłowy');
      else expect(shown).to.contain('Błąd usługi logowania').and.match(f.message);
      expect(errors(seen)).to.have.length(1);
      expect(errors(seen)[0]!.code).to.equal(f.code);
      expect(errors(seen)[0]!.message).to.match(f.message);
      expect(choices(el), 'the list is still there').to.deep.equal(['101', '600', '105', '650', '102', 'automatic']);
      expect($<HTMLButtonElement>(el, '.choice')!.disabled).to.equal(false);
      const again = await rejection(el.login('101'));
      expect(again.code).to.equal(f.code);
      expect(FakeEngine.created.length).to.equal(0);
    });
  }

  it('the no-free-number message in Hebrew and Japanese', async () => {
    for (const [lang, words] of [['he', 'אין מספר פנוי או שהמספר שגוי'], ['ja', '空き番号がないか、番号が無効です']] as const) {
      const { el, server } = await agentPhone({ lang });
      server.override.push(FAILURES[0]!.handler);
      await rejection(el.login());
      await el.updateComplete;
      expect($(el, '.login [role=alert]')!.textContent).to.contain(words);
    }
  });

  it('a list that cannot be loaded shows the error and a retry that works', async () => {
    const server: Server = { log: [], forwarding: {}, override: [] };
    server.override.push(http.get(`${BASE}/agents/agent1/extensions`, () => new HttpResponse('<html>', { status: 200 })));
    const el = document.createElement('soft-phone');
    el.setAttribute('provisioning-url', BASE);
    el.setAttribute('agent', 'agent1');
    el.provisioningOptions = { fetch: mswFetch(server), timeoutMs: TIMEOUT_MS };
    attach(el);
    await until(() => $(el, '[data-action=retry]') !== null, 'the retry button');
    expect($(el, '.login [role=alert]')!.textContent).to.contain('malformed JSON');
    server.override.length = 0;
    $<HTMLButtonElement>(el, '[data-action=retry]')!.click();
    await listed(el);
    expect($(el, '.login [role=alert]')).to.equal(null);
  });

  it('a provisioning failure during a call leaves the call up and the phone registered', async () => {
    const { el, server, seen } = await loggedIn();
    await until(() => el.registrationState === 'registered', 'registered');
    const call = await el.call('3999');
    engine().remote(call.id, 'established');
    server.override.push(http.put(`${BASE}/agents/agent1/status`, () => HttpResponse.error()));
    // From the UI: the menu reports the failure and keeps the call.
    choose(el, 'lunch');
    await until(() => errors(seen).length === 1, 'softphone-error');
    expect(errors(seen)[0]!.code).to.equal('PROVISIONING_ERROR');
    const direct = await rejection(el.setStatus('break'));
    expect(direct.code).to.equal('PROVISIONING_ERROR');
    await el.updateComplete;
    expect(el.calls.map((c) => c.state)).to.deep.equal(['established']);
    expect(el.registrationState).to.equal('registered');
    expect(engine().calledWith('hangup')).to.have.length(0);
    expect(engine().calledWith('unregister')).to.have.length(0);
    expect(el.status).to.equal('outgoing call');
    expect($(el, '[part=call]')).to.not.equal(null);
    // The automatic status after the call fails too: only logged, the phone stays as it was.
    await el.hangup(call.id);
    expect(el.status).to.equal('available');
    expect(el.registrationState).to.equal('registered');
  });
});

describe('<soft-phone> accessibility (axe-core) of the agent screens', () => {
  const NO_FREE_NUMBER = http.post(`${BASE}/agents/agent1/session`, () => HttpResponse.json({ code: 'NO_FREE_NUMBER', message: 'all taken' }, { status: 409 }));
  const SAVE_FAILS = http.put(`${BASE}/extensions/:n/forwarding`, () => HttpResponse.json({ code: 'INTERNAL', message: 'disk full' }, { status: 500 }));

  for (const attrs of [{ theme: 'light', lang: 'en' }, { theme: 'dark', lang: 'en' }, { theme: 'light', lang: 'he' }, { theme: 'dark', lang: 'he' }]) {
    const what = `${attrs.theme}, ${attrs.lang}`;
    it(`login step with an error, agent bar with the status menu, forwarding with a refused field and a failed save, a virtual login: ${what}`, async () => {
      const { el, server } = await agentPhone(attrs);
      await listed(el);
      await expectAccessible(el, `${what}: the login step`);
      server.override.push(NO_FREE_NUMBER);
      $<HTMLButtonElement>(el, '[data-number=automatic]')!.click();
      await until(() => $(el, '.login [role=alert]') !== null, 'the error in the login step');
      await expectAccessible(el, `${what}: the login step with an error`);

      server.override.length = 0;
      $<HTMLButtonElement>(el, '[data-number="101"]')!.click();
      await until(() => el.registrationState === 'registered', 'registered');
      choose(el, 'break');
      await until(() => el.status === 'break', 'status break');
      await el.updateComplete;
      await expectAccessible(el, `${what}: the agent bar`);

      $<HTMLButtonElement>(el, '[data-action=forwarding]')!.click();
      await until(() => $(el, 'input[name=busy]') !== null, 'the form');
      type(el, 'always', '12x');
      await el.updateComplete;
      $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
      await until(() => $(el, 'input[name=always][aria-invalid=true]') !== null, 'the field refused');
      await expectAccessible(el, `${what}: forwarding with a refused field`);
      type(el, 'always', '3999');
      server.override.push(SAVE_FAILS);
      $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
      await until(() => $(el, '.forwarding [role=alert]') !== null, 'the failed save');
      await expectAccessible(el, `${what}: forwarding after a failed save`);
      server.override.length = 0;
      $<HTMLButtonElement>(el, '[data-action=save-forwarding]')!.click();
      await until(() => $(el, '.forwarding .saved') !== null, 'saved');
      await expectAccessible(el, `${what}: forwarding saved`);

      await el.logout();
      await listed(el);
      $<HTMLButtonElement>(el, '[data-number="600"]')!.click();
      await until(() => $(el, '[data-virtual]') !== null, 'the virtual login');
      await expectAccessible(el, `${what}: a virtual login`);
    });
  }
});
