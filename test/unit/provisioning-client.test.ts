import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import {
  createProvisioningClient,
  NO_FREE_NUMBER_MESSAGE,
  type ProvisioningClient,
} from '../../src/provisioning/client.js';
import { SoftPhoneError } from '../../src/errors.js';

const BASE = 'http://crm.test/prov';
const SECRET = 'pa55-w0rd-s3cret';

const softphoneSession = {
  sip: {
    server: ['ws://127.0.0.1:8088', 'ws://127.0.0.1:8089'],
    domain: 'server1.test',
    extension: '101',
    authUser: '101',
    password: SECRET,
    displayName: 'Dana Levi',
  },
  status: 'available',
  statuses: ['available', 'break', 'incoming call', 'outgoing call'],
};

const server = setupServer();
before(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
after(() => server.close());

function client(extra: Partial<Parameters<typeof createProvisioningClient>[0]> = {}): ProvisioningClient {
  return createProvisioningClient({ baseUrl: BASE, agent: 'dana', timeoutMs: 1000, ...extra });
}

/** Resolves to the SoftPhoneError the promise rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<SoftPhoneError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SoftPhoneError, `expected a SoftPhoneError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('provisioning client: the happy path', () => {
  it('lists the extensions in login order, whatever order the server sends', async () => {
    server.use(
      http.get(`${BASE}/agents/dana/extensions`, () =>
        HttpResponse.json([
          { number: '107', kind: 'shared', label: 'Desk 7' },
          { number: '950', kind: 'virtual', label: '', mobile: '0521234567' },
          { number: '101', kind: 'personal', label: 'Dana Levi' },
        ]),
      ),
    );
    const list = await client().listExtensions();
    assert.deepEqual(
      list.map((e) => `${e.number} ${e.label}`),
      ['101 Dana Levi', '950 mobile 0521234567', '107 Desk 7'],
    );
  });

  it('starts a session on the chosen extension and gets the SIP settings', async () => {
    let sent: unknown;
    server.use(
      http.post(`${BASE}/agents/dana/session`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(softphoneSession);
      }),
    );
    const session = await client().startSession('101');
    assert.deepEqual(sent, { extension: '101' });
    assert.deepEqual(session.sip, softphoneSession.sip);
    assert.equal(session.status, 'available');
  });

  it('automatic mode sends no extension', async () => {
    let sent: unknown;
    server.use(
      http.post(`${BASE}/agents/dana/session`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(softphoneSession);
      }),
    );
    await client().startSession();
    assert.deepEqual(sent, {});
  });

  it('a virtual login has no SIP settings and the status "virtual"', async () => {
    server.use(
      http.post(`${BASE}/agents/dana/session`, () =>
        HttpResponse.json({
          sip: null,
          virtual: { extension: '950', mobile: '0521234567' },
          status: 'virtual',
          statuses: ['virtual', 'break'],
        }),
      ),
    );
    const session = await client().startSession('950');
    assert.equal(session.sip, null);
    assert.deepEqual(session.virtual, { extension: '950', mobile: '0521234567' });
    assert.equal(session.status, 'virtual');
  });

  it('a login is virtual by its status "virtual" even when the server still sends SIP settings (ignored, password too)', async () => {
    server.use(
      http.post(`${BASE}/agents/dana/session`, () =>
        HttpResponse.json({
          sip: { server: ['wss://pbx.test/ws'], domain: 'd.test', extension: '950', authUser: '950', password: 'virtual-pw-1', displayName: 'Dana' },
          status: 'virtual',
          statuses: ['virtual', 'break'],
        }),
      ),
    );
    const session = await client().startSession('950');
    assert.equal(session.sip, null);
    assert.deepEqual(session.virtual, { extension: '950', mobile: '' });
    assert.ok(!JSON.stringify(session).includes('virtual-pw-1'), 'the password of a virtual login is not kept');
  });

  it('a login is virtual when the chosen extension is kind virtual, whatever the answer says (SIP settings, status)', async () => {
    server.use(
      http.post(`${BASE}/agents/dana/session`, () =>
        HttpResponse.json({
          sip: { server: ['wss://pbx.test/ws'], domain: 'd.test', extension: '950', authUser: '950', password: 'virtual-pw-2' },
          status: 'available',
          statuses: ['available', 'break'],
        }),
      ),
    );
    const chosen = { number: '950', kind: 'virtual', label: 'mobile 0521234567', mobile: '0521234567' } as const;
    const session = await client().startSession('950', chosen);
    assert.equal(session.sip, null);
    assert.deepEqual(session.virtual, { extension: '950', mobile: '0521234567' });
    // the same answer for a personal extension is a softphone login
    const personal = await client().startSession('950', { ...chosen, kind: 'personal' });
    assert.equal(personal.sip?.extension, '950');
  });

  it('sip: null without a virtual extension or status is a clear PROVISIONING_ERROR', async () => {
    server.use(http.post(`${BASE}/agents/dana/session`, () => HttpResponse.json({ sip: null, status: 'available', statuses: ['available'] })));
    await assert.rejects(client().startSession('101'), (e: SoftPhoneError) => e.code === 'PROVISIONING_ERROR' && /sip is missing and it is not a virtual login/.test(e.message));
  });

  it('ends the session, sets the status, reads and writes forwarding', async () => {
    let ended = false;
    let putForwarding: unknown;
    server.use(
      http.delete(`${BASE}/agents/dana/session`, () => {
        ended = true;
        return new HttpResponse(null, { status: 204 });
      }),
      http.put(`${BASE}/agents/dana/status`, async ({ request }) => HttpResponse.json(await request.json())),
      http.get(`${BASE}/extensions/101/forwarding`, () => HttpResponse.json({ busy: '102' })),
      http.put(`${BASE}/extensions/101/forwarding`, async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        putForwarding = body;
        return HttpResponse.json(body);
      }),
    );
    const c = client();
    assert.equal(await c.setStatus('break'), 'break');
    assert.deepEqual(await c.getForwarding('101'), { busy: '102' });
    const saved = await c.setForwarding('101', { always: '+48600100200', noAnswer: { target: '102', seconds: 20 } });
    assert.deepEqual(putForwarding, { always: '+48600100200', noAnswer: { target: '102', seconds: 20 } });
    assert.deepEqual(saved, putForwarding);
    await c.endSession();
    assert.ok(ended);
  });

  it('encodes the agent id in the path and sends the configured headers through a given fetch', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const c = createProvisioningClient({
      baseUrl: `${BASE}/`,
      agent: 'dana/ops team',
      headers: { authorization: 'Bearer t0ken' },
      fetch: async (input, init) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
        return new Response('[]', { headers: { 'content-type': 'application/json' } });
      },
    });
    assert.deepEqual(await c.listExtensions(), []);
    assert.deepEqual(seen, [{ url: `${BASE}/agents/dana%2Fops%20team/extensions`, auth: 'Bearer t0ken' }]);
  });
});

describe('provisioning client: every failure is a SoftPhoneError', () => {
  it('409 NO_FREE_NUMBER becomes NO_FREE_NUMBER "No free number or the number is invalid"', async () => {
    server.use(
      http.post(`${BASE}/agents/dana/session`, () =>
        HttpResponse.json({ code: 'NO_FREE_NUMBER', message: 'every account is in use' }, { status: 409 }),
      ),
    );
    const e = await failure(client().startSession());
    assert.equal(e.code, 'NO_FREE_NUMBER');
    assert.equal(e.message, NO_FREE_NUMBER_MESSAGE);
    assert.equal(e.message, 'No free number or the number is invalid');
  });

  it('another 409 is a PROVISIONING_ERROR with the server message', async () => {
    server.use(
      http.put(`${BASE}/agents/dana/status`, () =>
        HttpResponse.json({ code: 'NO_SESSION', message: 'agent "dana" is not logged in' }, { status: 409 }),
      ),
    );
    const e = await failure(client().setStatus('break'));
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /409 NO_SESSION/);
    assert.match(e.message, /not logged in/);
  });

  it('500 names the status, method and URL', async () => {
    server.use(http.get(`${BASE}/agents/dana/extensions`, () => new HttpResponse('oops', { status: 500 })));
    const e = await failure(client().listExtensions());
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /500/);
    assert.ok(e.message.includes(`GET ${BASE}/agents/dana/extensions`), e.message);
  });

  it('a server that does not answer in time is a timeout naming the limit', async () => {
    server.use(
      http.post(`${BASE}/agents/dana/session`, async () => {
        await delay(1500);
        return HttpResponse.json(softphoneSession);
      }),
    );
    const started = Date.now();
    const e = await failure(client({ timeoutMs: 150 }).startSession('101'));
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /did not answer POST .* within 150 ms/);
    assert.ok(Date.now() - started < 2000, 'the timeout fired long before the server answered');
  });

  it('a network failure is a PROVISIONING_ERROR saying the server is unreachable', async () => {
    server.use(http.get(`${BASE}/agents/dana/extensions`, () => HttpResponse.error()));
    const e = await failure(client().listExtensions());
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /unreachable/);
  });

  it('malformed JSON is a PROVISIONING_ERROR', async () => {
    server.use(
      http.get(
        `${BASE}/agents/dana/extensions`,
        () => new HttpResponse('[{"number": "101",', { headers: { 'content-type': 'application/json' } }),
      ),
    );
    const e = await failure(client().listExtensions());
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /malformed JSON/);
  });

  it('an extension list of the wrong shape names the bad item', async () => {
    server.use(
      http.get(`${BASE}/agents/dana/extensions`, () => HttpResponse.json([{ number: '101', kind: 'desk', label: '' }])),
    );
    const e = await failure(client().listExtensions());
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /kind "desk"/);
  });

  it('a session of the wrong shape names the field, never the password', async () => {
    const broken = { ...softphoneSession, sip: { ...softphoneSession.sip, domain: 42 } };
    server.use(http.post(`${BASE}/agents/dana/session`, () => HttpResponse.json(broken)));
    const e = await failure(client().startSession('101'));
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /sip\.domain/);
    assert.ok(!e.message.includes(SECRET));
    assert.ok(!JSON.stringify(e.toJSON()).includes(SECRET));
  });

  it('a session without statuses is rejected', async () => {
    const { statuses: _omit, ...noStatuses } = softphoneSession;
    server.use(http.post(`${BASE}/agents/dana/session`, () => HttpResponse.json(noStatuses)));
    const e = await failure(client().startSession());
    assert.match(e.message, /statuses/);
    assert.ok(!e.message.includes(SECRET));
  });

  it('a status answer of the wrong shape is rejected', async () => {
    server.use(http.put(`${BASE}/agents/dana/status`, () => HttpResponse.json({ state: 'break' })));
    const e = await failure(client().setStatus('break'));
    assert.equal(e.code, 'PROVISIONING_ERROR');
    assert.match(e.message, /expected \{ status \}/);
  });

  it('a base URL with user:password is refused without repeating the password', () => {
    assert.throws(
      () => client({ baseUrl: 'http://admin:hunter2@crm.test/prov' }),
      (e: unknown) =>
        e instanceof SoftPhoneError &&
        e.code === 'INVALID_CONFIG' &&
        /must not contain a user name or password/.test(e.message) &&
        !e.message.includes('hunter2'),
    );
  });
});

describe('provisioning client: bad arguments are refused before anything is sent', () => {
  // onUnhandledRequest: 'error' fails any request these calls would make.
  it('forwarding settings are checked, naming the bad field', async () => {
    const c = client();
    let e = await failure(c.setForwarding('101', { noAnswer: { target: '102', seconds: 2 } }));
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.match(e.message, /noAnswer\.seconds .* got 2/);
    e = await failure(c.setForwarding('101', { busy: 'reception' }));
    assert.match(e.message, /busy .* got "reception"/);
    e = await failure(c.setForwarding('101', { always: '101' }));
    assert.match(e.message, /always forwards extension 101 to itself/);
    e = await failure(c.setForwarding('101', { allways: '102' } as never));
    assert.match(e.message, /unknown forwarding rule "allways"/);
  });

  it('extension numbers and statuses are checked', async () => {
    const c = client();
    let e = await failure(c.startSession('10 1'));
    assert.equal(e.code, 'INVALID_NUMBER');
    assert.match(e.message, /"10 1"/);
    e = await failure(c.getForwarding('../admin'));
    assert.equal(e.code, 'INVALID_NUMBER');
    e = await failure(c.setStatus(''));
    assert.equal(e.code, 'INVALID_CONFIG');
  });

  it('a bad base URL, agent or timeout is INVALID_CONFIG naming the value', () => {
    const bad = (opts: Parameters<typeof createProvisioningClient>[0], re: RegExp) =>
      assert.throws(
        () => createProvisioningClient(opts),
        (e: unknown) => e instanceof SoftPhoneError && e.code === 'INVALID_CONFIG' && re.test(e.message),
      );
    bad({ baseUrl: 'not a url', agent: 'dana' }, /"not a url"/);
    bad({ baseUrl: 'ftp://crm.test', agent: 'dana' }, /ftp:\/\/crm.test/);
    bad({ baseUrl: BASE, agent: ' ' }, /agent " "/);
    bad({ baseUrl: BASE, agent: 'dana', timeoutMs: -1 }, /timeoutMs -1/);
  });
});
