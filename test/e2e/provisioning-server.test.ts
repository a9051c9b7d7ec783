/**
 * The reference provisioning server as its users meet it: a real HTTP server on a free port with a
 * temporary SQLite file (the one the lab's Kamailio reads its `subscriber` rows from).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { startProvisioningServer, type ProvisioningServer } from '../../lab/provisioning/server.js';
import { createProvisioningClient } from '../../src/provisioning/client.js';
import { SoftPhoneError } from '../../src/errors.js';
import { startLab, type Lab } from '../../lab/lab.js';
import { SipWsClient } from '../../lab/sip-ws-client.js';
import { createAccountsDb, upsertAccount } from '../../lab/accounts-db.js';
import { apiOf } from './provisioning-api.js';

const DOMAIN = 'server1.test';
const WS = ['ws://127.0.0.1:8088', 'ws://127.0.0.1:8090'];

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prov-test-'));
  dirs.push(dir);
  return join(dir, 'accounts.sqlite');
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The Kamailio view: user -> password of every subscriber row of the domain. */
function subscribers(dbFile: string): Record<string, string> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT username, password FROM subscriber WHERE domain = ?').all(DOMAIN) as {
      username: string;
      password: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.username, r.password]));
  } finally {
    db.close();
  }
}

async function withServer(
  options: { range?: { from: number; to: number } },
  fn: (api: ReturnType<typeof apiOf>, server: ProvisioningServer, dbFile: string) => Promise<void>,
): Promise<void> {
  const dbFile = tempDb();
  const server = await startProvisioningServer({ dbFile, domain: DOMAIN, servers: WS, ...options });
  try {
    await fn(apiOf(server.url), server, dbFile);
  } finally {
    await server.close();
  }
}

describe('users and their extensions', () => {
  it('new users get the next free extensions in order, and the range is configurable', async () => {
    await withServer({ range: { from: 200, to: 299 } }, async (api) => {
      const made = [];
      for (const [id, name] of [['ann', 'Ann Nowak'], ['ben', 'Ben Kowalski'], ['cyd', 'Cyd Wiśniewska']]) {
        const r = await api('POST', '/admin/users', { id, name });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        made.push(r.body.extension);
        assert.equal(typeof r.body.password, 'string');
      }
      assert.deepEqual(made, ['200', '201', '202']);
      const explicit = await api('POST', '/admin/users', { id: 'dov', name: 'Dov', extension: '250' });
      assert.equal(explicit.body.extension, '250');
      const taken = await api('POST', '/admin/users', { id: 'eli', name: 'Eli', extension: '250' });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, 'NUMBER_TAKEN');
      const list = await api('GET', '/admin/users');
      assert.deepEqual(
        list.body.map((u: { id: string; extension: string }) => `${u.id}:${u.extension}`),
        ['ann:200', 'ben:201', 'cyd:202', 'dov:250'],
      );
      // The failed create left nothing behind.
      assert.equal((await api('GET', '/admin/users/eli')).status, 404);
    });
  });

  it("a deleted user's number goes to the next new user with forwarding reset to defaults", async () => {
    await withServer({}, async (api) => {
      await api('POST', '/admin/users', { id: 'ann', name: 'Ann' });
      const ben = await api('POST', '/admin/users', { id: 'ben', name: 'Ben' });
      await api('POST', '/admin/users', { id: 'cyd', name: 'Cyd' });
      assert.equal(ben.body.extension, '101');
      const fw = { always: '+48600100200', noAnswer: { target: '100', seconds: 15 } };
      assert.deepEqual((await api('PUT', '/extensions/101/forwarding', fw)).body, fw);
      assert.deepEqual((await api('GET', '/extensions/101/forwarding')).body, fw);

      assert.equal((await api('DELETE', '/admin/users/ben')).status, 204);
      assert.equal((await api('GET', '/extensions/101/forwarding')).status, 404);

      const dan = await api('POST', '/admin/users', { id: 'dan', name: 'Dan' });
      assert.equal(dan.body.extension, '101', 'the recycled number');
      assert.deepEqual((await api('GET', '/extensions/101/forwarding')).body, {});
      assert.notEqual(dan.body.password, ben.body.password);
    });
  });

  it('no free number left: creating a user is 409 NO_FREE_NUMBER', async () => {
    await withServer({ range: { from: 100, to: 102 } }, async (api) => {
      for (const id of ['a1', 'a2', 'a3']) assert.equal((await api('POST', '/admin/users', { id, name: id })).status, 201);
      const r = await api('POST', '/admin/users', { id: 'a4', name: 'a4' });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'NO_FREE_NUMBER');
      assert.match(r.body.message, /100 to 102/);
    });
  });
});

describe('racing admins', () => {
  it('20 users created at once for 10 free numbers: 10 distinct numbers, 10 answers NO_FREE_NUMBER', async () => {
    await withServer({ range: { from: 300, to: 309 } }, async (api, _s, dbFile) => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => api('POST', '/admin/users', { id: `u${i}`, name: `User ${i}` })),
      );
      const made = answers.filter((a) => a.status === 201).map((a) => a.body.extension as string);
      assert.equal(made.length, 10);
      assert.deepEqual([...made].sort(), ['300', '301', '302', '303', '304', '305', '306', '307', '308', '309']);
      assert.ok(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.code === 'NO_FREE_NUMBER'));
      assert.equal(Object.keys(subscribers(dbFile)).length, 10);
      assert.equal((await api('GET', '/admin/users')).body.length, 10);
    });
  });
});

describe('Kamailio subscriber rows follow the accounts', () => {
  it('created, deactivated, reactivated, re-passworded, deleted', async () => {
    await withServer({}, async (api, _s, dbFile) => {
      const ann = await api('POST', '/admin/users', { id: 'ann', name: 'Ann', password: 'first-pass-1' });
      assert.deepEqual(subscribers(dbFile), { '100': 'first-pass-1' });
      const pool = await api('POST', '/admin/accounts', { phoneType: 'other', recording: true, permissionLevel: 40 });
      assert.equal(pool.body.number, '101');
      assert.equal(pool.body.user, null);
      assert.deepEqual(Object.keys(subscribers(dbFile)), ['100', '101']);

      await api('PATCH', '/admin/accounts/100', { active: false });
      assert.deepEqual(Object.keys(subscribers(dbFile)), ['101']);
      await api('PATCH', '/admin/accounts/100', { active: true, password: 'second-pass-2' });
      assert.equal(subscribers(dbFile)['100'], 'second-pass-2');

      await api('PATCH', '/admin/users/ann', { virtualExtension: '900', mobile: '+48600100200' });
      assert.equal(subscribers(dbFile)['900'], undefined, 'a virtual extension registers nothing');

      assert.equal((await api('DELETE', '/admin/users/ann')).status, 204);
      await api('DELETE', '/admin/accounts/101');
      assert.deepEqual(subscribers(dbFile), {});
      assert.equal(ann.status, 201);
    });
  });

  it("numbers the lab already uses (e.g. park slots) are skipped and never overwritten", async () => {
    const dbFile = tempDb();
    const db = createAccountsDb(dbFile);
    upsertAccount(db, { username: '100', domain: DOMAIN, password: 'park-slot-100' });
    db.close();
    const server = await startProvisioningServer({ dbFile, domain: DOMAIN, servers: WS });
    try {
      const api = apiOf(server.url);
      assert.equal((await api('POST', '/admin/users', { id: 'ann', name: 'Ann' })).body.extension, '101');
      const explicit = await api('POST', '/admin/accounts', { number: '100' });
      assert.equal(explicit.status, 409);
      assert.match(explicit.body.message, /100 is already a SIP account .* does not manage/);
      assert.equal(subscribers(dbFile)['100'], 'park-slot-100');
    } finally {
      await server.close();
    }
  });

  it('account fields are stored as given and listed without passwords', async () => {
    await withServer({}, async (api) => {
      await api('POST', '/admin/accounts', { number: '150', password: 'secret-150', recording: true, permissionLevel: 0 });
      const one = await api('GET', '/admin/accounts/150');
      assert.deepEqual(
        { ...one.body, registration: undefined },
        {
          number: '150',
          user: null,
          userName: null,
          phoneType: 'softphone',
          active: true,
          recording: true,
          permissionLevel: 0,
          virtual: false,
          inUseBy: null,
          registration: undefined,
        },
      );
      assert.equal(one.body.registration.state, 'unknown', 'no Kamailio configured');
      const list = await api('GET', '/admin/accounts');
      assert.ok(!JSON.stringify(list.body).includes('secret-150'));
      const def = await api('POST', '/admin/accounts', {});
      assert.equal(def.body.permissionLevel, 10, 'default permission level');
    });
  });
});

describe('the agent API', () => {
  it('login list, softphone login, statuses, logout, through the element client', async () => {
    await withServer({}, async (api, server, dbFile) => {
      await api('POST', '/admin/users', { id: 'shira', name: 'Shira Cohen', virtualExtension: '950', mobile: '0521234567' });
      await api('POST', '/admin/users', { id: 'noa', name: 'Noa Levi' });
      await api('POST', '/admin/accounts', {});
      await api('POST', '/admin/accounts', { phoneType: 'other' });
      await api('PUT', '/admin/statuses', { statuses: ['break', 'after call work'] });

      const shira = createProvisioningClient({ baseUrl: server.url, agent: 'shira' });
      const list = await shira.listExtensions();
      assert.deepEqual(
        list.map((e) => [e.number, e.kind, e.label]),
        [
          ['100', 'personal', 'Shira Cohen'],
          ['950', 'virtual', 'mobile 0521234567'],
          ['101', 'shared', 'Noa Levi'],
          ['102', 'shared', ''],
        ],
        "103 is another SIP phone's account and is not offered",
      );
      const noaList = await createProvisioningClient({ baseUrl: server.url, agent: 'noa' }).listExtensions();
      assert.ok(!noaList.some((e) => e.number === '950'), "nobody else sees Shira's virtual extension");

      const session = await shira.startSession('100');
      assert.ok(session.sip);
      assert.deepEqual({ ...session.sip, password: '' }, {
        server: WS,
        domain: DOMAIN,
        extension: '100',
        authUser: '100',
        password: '',
        displayName: 'Shira Cohen',
      });
      assert.equal(session.sip.password, subscribers(dbFile)['100'], 'the password Kamailio checks');
      assert.equal(session.status, 'available');
      assert.deepEqual(session.statuses, ['available', 'break', 'after call work', 'incoming call', 'outgoing call']);

      assert.equal(await shira.setStatus('after call work'), 'after call work');
      assert.equal(await shira.setStatus('incoming call'), 'incoming call');
      await assert.rejects(shira.setStatus('lunch'), (e: SoftPhoneError) => {
        assert.equal(e.code, 'PROVISIONING_ERROR');
        assert.match(e.message, /400 INVALID_STATUS.*"lunch"/);
        return true;
      });
      const sessions = await api('GET', '/admin/sessions');
      assert.deepEqual(
        sessions.body.map((s: { agent: string; extension: string; status: string }) => [s.agent, s.extension, s.status]),
        [['shira', '100', 'incoming call']],
      );

      await shira.endSession();
      assert.deepEqual((await api('GET', '/admin/sessions')).body, []);
      await shira.endSession(); // logging out twice is harmless
      await assert.rejects(shira.setStatus('break'), /409 NO_SESSION/);
    });
  });

  it('a virtual login registers nothing, starts in "virtual" and offers no call statuses', async () => {
    await withServer({}, async (api, server) => {
      await api('POST', '/admin/users', { id: 'shira', name: 'Shira', virtualExtension: '950', mobile: '0521234567' });
      const shira = createProvisioningClient({ baseUrl: server.url, agent: 'shira' });
      const session = await shira.startSession('950');
      assert.equal(session.sip, null);
      assert.deepEqual(session.virtual, { extension: '950', mobile: '0521234567' });
      assert.equal(session.status, 'virtual');
      assert.deepEqual(session.statuses, ['virtual', 'break', 'lunch', 'training']);
      await assert.rejects(shira.setStatus('incoming call'), /INVALID_STATUS/);
      await assert.rejects(shira.setStatus('available'), /INVALID_STATUS/);
      assert.equal(await shira.setStatus('break'), 'break');
      // Another agent cannot take it.
      await api('POST', '/admin/users', { id: 'noa', name: 'Noa' });
      const r = await api('POST', '/agents/noa/session', { extension: '950' });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'NO_FREE_NUMBER');
    });
  });

  it('automatic mode: own extension first, then the pool; 409 NO_FREE_NUMBER when all are assigned or in use', async () => {
    await withServer({}, async (api, server) => {
      await api('POST', '/admin/users', { id: 'ola', name: 'Ola' }); // 100
      await api('POST', '/admin/users', { id: 'piotr', name: 'Piotr', extension: null });
      await api('POST', '/admin/users', { id: 'kasia', name: 'Kasia', extension: null });
      await api('POST', '/admin/accounts', {}); // 101: the pool ("Automat")

      const auto = (agent: string) => createProvisioningClient({ baseUrl: server.url, agent }).startSession();
      assert.equal((await auto('ola')).sip?.extension, '100');
      assert.equal((await auto('piotr')).sip?.extension, '101');
      await assert.rejects(auto('kasia'), (e: SoftPhoneError) => {
        assert.equal(e.code, 'NO_FREE_NUMBER');
        assert.equal(e.message, 'No free number or the number is invalid');
        return true;
      });
      // An explicit number in use, unknown, or of another SIP phone: the same answer.
      for (const extension of ['101', '555']) {
        const r = await api('POST', '/agents/kasia/session', { extension });
        assert.equal(r.status, 409);
        assert.equal(r.body.code, 'NO_FREE_NUMBER');
      }
      await api('DELETE', '/agents/piotr/session');
      assert.equal((await auto('kasia')).sip?.extension, '101', 'freed by the logout');
    });
  });

  it('50 agents racing for the last free account: exactly one wins', async () => {
    await withServer({}, async (api, server) => {
      for (let i = 0; i < 50; i++) await api('POST', '/admin/users', { id: `agent${i}`, name: `Agent ${i}`, extension: null });
      await api('POST', '/admin/accounts', { number: '777' });
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fetch(`${server.url}/agents/agent${i}/session`, { method: 'POST', body: '{}' })),
      );
      const statuses = answers.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 409).length, 49);
      const sessions = (await api('GET', '/admin/sessions')).body;
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0].extension, '777');
    });
  });

  it('two server processes on one database file: 50 racing requests, one winner', async () => {
    const dbFile = tempDb();
    const local = await startProvisioningServer({ dbFile, domain: DOMAIN, servers: WS });
    let child: ChildProcess | undefined;
    try {
      const api = apiOf(local.url);
      for (let i = 0; i < 50; i++) await api('POST', '/admin/users', { id: `agent${i}`, name: `Agent ${i}`, extension: null });
      await api('POST', '/admin/accounts', { number: '777' });
      child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('../../lab/provisioning/main.ts', import.meta.url)), '--db', dbFile, '--domain', DOMAIN, '--server', WS[0]!],
        { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('../..', import.meta.url)) },
      );
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const remote = (JSON.parse(line) as { url: string }).url;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${i % 2 ? remote : local.url}/agents/agent${i}/session`, { method: 'POST', body: '{}' }),
        ),
      );
      const wins = answers.filter((r) => r.status === 200).length;
      assert.equal(wins, 1, `statuses: ${answers.map((r) => r.status).join(',')}`);
      assert.ok(answers.every((r) => r.status === 200 || r.status === 409));
      assert.equal((await api('GET', '/admin/sessions')).body.length, 1);
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await local.close();
    }
  });
});

describe('bad input never crashes the server and names the bad value', () => {
  let server: ProvisioningServer;
  let api: ReturnType<typeof apiOf>;
  before(async () => {
    server = await startProvisioningServer({ dbFile: tempDb(), domain: DOMAIN, servers: WS });
    api = apiOf(server.url);
    await api('POST', '/admin/users', { id: 'ann', name: 'Ann' });
  });
  after(() => server.close());

  const cases: [string, string, string, unknown, string | undefined, number, string, RegExp][] = [
    ['malformed JSON', 'POST', '/admin/users', undefined, '{"id": "x",', 400, 'MALFORMED_JSON', /request body \(11 characters\) is not valid JSON/],
    ['malformed JSON with a password', 'POST', '/admin/accounts', undefined, '{"password": "s3cret!!"', 400, 'MALFORMED_JSON', /^(?!.*s3cret)/],
    ['a JSON array', 'POST', '/admin/users', [1, 2], undefined, 400, 'INVALID_BODY', /\[1,2\]/],
    ['a name of the wrong type', 'POST', '/admin/users', { id: 'bo', name: 42 }, undefined, 400, 'INVALID_FIELD', /name .* got 42/],
    ['a bad user id', 'POST', '/admin/users', { id: 'a b', name: 'x' }, undefined, 400, 'INVALID_FIELD', /"a b"/],
    ['a typo in a field', 'POST', '/admin/users', { id: 'bo', nmae: 'x' }, undefined, 400, 'UNKNOWN_FIELD', /"nmae"/],
    ['a number outside the range', 'POST', '/admin/accounts', { number: '1000' }, undefined, 400, 'INVALID_FIELD', /"1000" is outside the extension range 100-999/],
    ['a number with letters', 'POST', '/admin/accounts', { number: '1o1' }, undefined, 400, 'INVALID_FIELD', /"1o1"/],
    ['a permission level of 101', 'POST', '/admin/accounts', { permissionLevel: 101 }, undefined, 400, 'INVALID_FIELD', /permissionLevel .* got 101/],
    ['an unknown phone type', 'POST', '/admin/accounts', { phoneType: 'desk' }, undefined, 400, 'INVALID_FIELD', /"desk"/],
    ['active as a string', 'POST', '/admin/accounts', { active: 'yes' }, undefined, 400, 'INVALID_FIELD', /active .* "yes"/],
    ['a bad mobile', 'PATCH', '/admin/users/ann', { mobile: 'call me' }, undefined, 400, 'INVALID_FIELD', /"call me"/],
    ['a virtual extension without mobile', 'PATCH', '/admin/users/ann', { virtualExtension: '900' }, undefined, 400, 'INVALID_FIELD', /mobile/],
    ['a reserved status', 'PUT', '/admin/statuses', { statuses: ['break', 'virtual'] }, undefined, 400, 'INVALID_FIELD', /"virtual" is built in/],
    ['forwarding seconds of 3', 'PUT', '/extensions/100/forwarding', { noAnswer: { target: '101', seconds: 3 } }, undefined, 400, 'INVALID_FIELD', /got 3/],
    ['forwarding to a name', 'PUT', '/extensions/100/forwarding', { busy: 'reception' }, undefined, 400, 'INVALID_FIELD', /"reception"/],
    ['a session on a malformed number', 'POST', '/agents/ann/session', { extension: '1-0' }, undefined, 400, 'INVALID_FIELD', /"1-0"/],
    ['an unknown agent', 'GET', '/agents/zed/extensions', undefined, undefined, 404, 'UNKNOWN_AGENT', /"zed"/],
    ['forwarding of an unknown extension', 'GET', '/extensions/555/forwarding', undefined, undefined, 404, 'UNKNOWN_EXTENSION', /"555"/],
    ['an unknown endpoint', 'GET', '/agents', undefined, undefined, 404, 'NOT_FOUND', /"\/agents"/],
    ['a wrong method', 'PATCH', '/agents/ann/session', undefined, undefined, 405, 'METHOD_NOT_ALLOWED', /PATCH/],
    ['bad URL encoding', 'GET', '/agents/%E0%A4%A/extensions', undefined, undefined, 400, 'INVALID_FIELD', /%E0%A4%A/],
  ];
  for (const [what, method, path, body, raw, status, code, message] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      const r = await api(method, path, body, raw);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.code, code);
      assert.match(r.body.message, message);
    });
  }

  it('a huge body is 413 and the server keeps serving', async () => {
    const r = await api('POST', '/admin/users', undefined, JSON.stringify({ id: 'big', name: 'x'.repeat(200_000) }));
    assert.equal(r.status, 413);
    assert.equal(r.body.code, 'BODY_TOO_LARGE');
    assert.equal((await api('GET', '/admin/users/ann')).status, 200);
  });

  it('passwords are checked without being repeated', async () => {
    const r = await api('POST', '/admin/accounts', { password: 'a b c' });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /password must be/);
    assert.ok(!r.body.message.includes('a b c'));
  });

  it('a number that is no number or text (an object whose toString is not a function) is a 400 naming it', async () => {
    const r = await api('PATCH', '/admin/accounts/100', { number: { toString: false } });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'INVALID_FIELD');
    assert.match(r.body.message, /number cannot be changed \(extension 100, got \{"toString":false\}\)/);
  });

  it('random JSON bodies on every write endpoint: always a 2xx or a 4xx with { code, message }, never a 500', async () => {
    const endpoints: [string, string][] = [
      ['POST', '/admin/users'],
      ['PATCH', '/admin/users/ann'],
      ['POST', '/admin/accounts'],
      ['PATCH', '/admin/accounts/100'],
      ['PUT', '/admin/statuses'],
      ['POST', '/agents/ann/session'],
      ['PUT', '/agents/ann/status'],
      ['PUT', '/extensions/100/forwarding'],
    ];
    const field = fc.constantFrom(
      'id', 'name', 'extension', 'password', 'virtualExtension', 'mobile', 'statuses', 'number', 'user',
      'phoneType', 'active', 'recording', 'permissionLevel', 'virtual', 'status', 'always', 'busy', 'noAnswer', 'unavailable',
    );
    const body = fc.oneof(fc.jsonValue(), fc.dictionary(field, fc.jsonValue(), { maxKeys: 4 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, async ([method, path], b) => {
        const r = await api(method, path, b);
        assert.ok(r.status < 500, `${method} ${path} ${JSON.stringify(b)} -> ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status >= 400) {
          assert.equal(typeof r.body.code, 'string');
          assert.equal(typeof r.body.message, 'string');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('after all that, the data is intact', async () => {
    // The random bodies may have created users and renamed ann; ann is still there and the server answers.
    const users = (await api('GET', '/admin/users')).body;
    assert.ok(users.some((u: { id: string }) => u.id === 'ann'));
  });
});

describe('CORS for the demo page', () => {
  it('answers loopback origins and preflights, and nobody else', async () => {
    await withServer({}, async (api) => {
      const demo = 'http://127.0.0.1:8000';
      const pre = await api('OPTIONS', '/agents/ann/session', undefined, undefined, {
        origin: demo,
        'access-control-request-method': 'POST',
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), demo);
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /DELETE/);
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
      const get = await api('GET', '/admin/users', undefined, undefined, { origin: 'http://localhost:5173' });
      assert.equal(get.headers.get('access-control-allow-origin'), 'http://localhost:5173');
      const evil = await api('GET', '/admin/users', undefined, undefined, { origin: 'https://evil.example' });
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
    });
  });
});

describe('registration state from Kamailio', () => {
  it('shows each extension registered or not, from the registration source', async () => {
    const dbFile = tempDb();
    const server = await startProvisioningServer({
      dbFile,
      domain: DOMAIN,
      servers: WS,
      registrations: async () =>
        new Map([[`100@${DOMAIN}`, [{ uri: 'sip:abc@x.invalid;transport=ws', expires: 27 }]]]),
    });
    try {
      const api = apiOf(server.url);
      await api('POST', '/admin/users', { id: 'ann', name: 'Ann' });
      await api('POST', '/admin/users', { id: 'ben', name: 'Ben' });
      const regs = (await api('GET', '/admin/registrations')).body;
      assert.deepEqual(
        regs.map((r: { number: string; state: string }) => [r.number, r.state]),
        [
          ['100', 'registered'],
          ['101', 'unregistered'],
        ],
      );
      assert.equal(regs[0].contacts[0].expires, 27);
    } finally {
      await server.close();
    }
  });

  it('an unreachable Kamailio shows "unknown" instead of failing the admin API', async () => {
    await withServer({}, async () => {
      const dbFile = tempDb();
      const server = await startProvisioningServer({
        dbFile,
        domain: DOMAIN,
        servers: WS,
        registrations: 'http://127.0.0.1:9/RPC',
      });
      try {
        const api = apiOf(server.url);
        await api('POST', '/admin/users', { id: 'ann', name: 'Ann' });
        const regs = await api('GET', '/admin/registrations');
        assert.equal(regs.status, 200);
        assert.equal(regs.body[0].state, 'unknown');
      } finally {
        await server.close();
      }
    });
  });
});

describe('on the lab Kamailio: accounts register at once, deleted ones are refused', () => {
  let lab: Lab | undefined;
  let prov: ProvisioningServer | undefined;
  const clients: SipWsClient[] = [];
  before(async () => {
    lab = await startLab({ servers: ['server1'] });
    const s1 = lab.servers.server1;
    prov = await startProvisioningServer({
      dbFile: lab.dbFile,
      domain: s1.domain,
      servers: [s1.wsUrl],
      registrations: `http://127.0.0.1:${s1.wsPort}/RPC`,
    });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await prov?.close();
    await lab?.stop();
  });

  async function phone(sip: { server: string[]; domain: string; extension: string; authUser: string; password: string }) {
    const c = await SipWsClient.connect({
      wsUrl: sip.server[0]!,
      domain: sip.domain,
      user: sip.extension,
      authUser: sip.authUser,
      password: sip.password,
    });
    clients.push(c);
    return c;
  }

  it('a user created through the admin API logs in and registers; deleted, it is refused; its number is recycled', async () => {
    const api = apiOf(prov!.url);
    const created = await api('POST', '/admin/users', { id: 'ann', name: 'Ann' });
    assert.equal(created.status, 201);
    const session = await createProvisioningClient({ baseUrl: prov!.url, agent: 'ann' }).startSession();
    assert.ok(session.sip);
    const annPhone = await phone(session.sip);
    assert.equal((await annPhone.register()).status, 200, 'registers with the settings the session handed out');

    const regs = (await api('GET', '/admin/registrations')).body as { number: string; state: string }[];
    assert.deepEqual(regs.find((r) => r.number === session.sip!.extension)?.state, 'registered');
    const account = (await api('GET', `/admin/accounts/${session.sip.extension}`)).body;
    assert.equal(account.registration.state, 'registered');
    assert.equal(account.inUseBy, 'ann');

    assert.equal((await api('DELETE', '/admin/users/ann')).status, 204);
    const after = (await api('GET', '/admin/registrations')).body as { number: string; state: string }[];
    assert.ok(
      !after.some((r) => r.number === session.sip!.extension),
      'the deleted account is gone from the list and from Kamailio',
    );
    assert.ok(
      !(await lab!.servers.server1.registrations()).includes(`sip:${session.sip.extension}@${session.sip.domain}`),
      'Kamailio dropped the registration at once',
    );
    const refused = await annPhone.register();
    assert.ok([401, 403].includes(refused.status), `deleted account answered ${refused.status}`);

    // The next user gets the same number with a new password; the old one stays refused.
    const bob = await api('POST', '/admin/users', { id: 'bob', name: 'Bob' });
    assert.equal(bob.body.extension, session.sip.extension);
    const bobSession = await createProvisioningClient({ baseUrl: prov!.url, agent: 'bob' }).startSession();
    assert.equal((await (await phone(bobSession.sip!)).register()).status, 200);
    const stale = await phone(session.sip);
    assert.ok([401, 403].includes((await stale.register()).status), "the old password does not open the recycled number");
  });

  it('a deactivated account is refused at its next REGISTER and accepted again once reactivated', async () => {
    const api = apiOf(prov!.url);
    const acc = await api('POST', '/admin/accounts', { password: 'pool-secret-1' });
    const sip = { server: [lab!.servers.server1.wsUrl], domain: lab!.servers.server1.domain, extension: acc.body.number, authUser: acc.body.number, password: 'pool-secret-1' };
    const p = await phone(sip);
    assert.equal((await p.register()).status, 200);
    await api('PATCH', `/admin/accounts/${acc.body.number}`, { active: false });
    assert.ok([401, 403].includes((await p.register()).status));
    await api('PATCH', `/admin/accounts/${acc.body.number}`, { active: true });
    assert.equal((await p.register()).status, 200);
  });
});
