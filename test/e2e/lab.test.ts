/**
 * The telephony lab itself, end to end: two real Kamailio instances on free ports, driven by the
 * lab's small SIP-over-WebSocket client (lab/sip-ws-client.ts), no browser.
 *
 *   node --import tsx --test test/e2e/lab.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { openAccountsDb, upsertAccount, deleteAccount } from '../../lab/accounts-db.js';
import { LAB_CONFIG, REPO_ROOT, startLab, udpOptions, wsOptions, type Lab, type LabAccount, type LabServer } from '../../lab/lab.js';
import { SipWsClient, parseNameAddr } from '../../lab/sip-ws-client.js';
import { jsonPost, jsonRoute, startWebServer } from '../../lab/web.js';
import { until as waitUntil } from '../until.js';

let lab: Lab;
let failed = false;
const clients: SipWsClient[] = [];

async function phone(server: LabServer, account: LabAccount, opts: { password?: string; displayName?: string | null } = {}): Promise<SipWsClient> {
  const client = await SipWsClient.connect({
    wsUrl: server.wsUrl,
    domain: account.domain,
    user: account.extension,
    password: opts.password ?? account.password,
    displayName: opts.displayName === null ? undefined : (opts.displayName ?? account.displayName),
  });
  clients.push(client);
  return client;
}

function account(server: 'server1' | 'server2', extension: string): LabAccount {
  const a = lab.accounts[server].find((x) => x.extension === extension);
  assert.ok(a, `lab account ${extension} on ${server}`);
  return a;
}

/** Polls `check` until it returns true (a condition, not a sleep); returns the time it took. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  await waitUntil(check, what, { timeoutMs, everyMs: 50 });
  return Date.now() - start;
}

/** PIDs of processes whose command line mentions this lab's run dir (its Kamailios). */
function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('kamailio') && cmd.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('the telephony lab', () => {
  before(async () => {
    const t0 = Date.now();
    lab = await startLab();
    process.stdout.write(`# lab started in ${Date.now() - t0} ms: ${lab.servers.server1.wsUrl} ${lab.servers.server2.wsUrl}\n`);
  });

  afterEach(async (t) => {
    if (!(t as unknown as { passed?: boolean }).passed) failed = true;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    // every test starts with no registration left over (closed WebSockets are dropped within ~1 s)
    for (const server of Object.values(lab.servers)) {
      if (server.pid === undefined) continue;
      await until(`${server.name} has no registrations`, async () => (await server.registrations()).length === 0);
    }
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await lab?.stop({ keepLogs: failed });
  });

  it('starts both servers, each answering OPTIONS over WebSocket and UDP', async () => {
    for (const server of Object.values(lab.servers)) {
      assert.ok(server.pid, `${server.name} has a pid`);
      assert.match(server.wsUrl, /^ws:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await wsOptions(server.wsUrl, server.domain), 200);
      assert.equal(await udpOptions(server.sipPort, server.domain), 200);
    }
    assert.equal(lab.servers.server1.domain, 'server1.test');
    assert.equal(lab.servers.server1.prefix, '11');
    assert.equal(lab.servers.server2.domain, 'server2.test');
    assert.equal(lab.servers.server2.prefix, '12');
    assert.deepEqual(
      lab.accounts.server1.map((a) => a.extension),
      ['3999', '4000', '4001', '4002', '4003'],
    );
    assert.deepEqual(
      lab.accounts.server2.map((a) => a.extension),
      ['2099', '2100', '2101'],
    );
  });

  it('has a config that `kamailio -c` accepts, for both servers', () => {
    for (const extra of [[], ['-A', 'SERVER2']]) {
      const r = spawnSync('kamailio', ['-c', '-f', LAB_CONFIG, '-A', 'SIP_PORT=5999', '-A', 'WS_PORT=5998', ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 0, `kamailio -c ${extra.join(' ')}:\n${r.stderr}`);
      assert.match(r.stderr, /config file ok/);
    }
  });

  it('alice registers with digest authentication over WebSocket, for 30 s', async () => {
    const alice = await phone(lab.servers.server1, account('server1', '3999'));
    const t0 = Date.now();
    const ok = await alice.register(30);
    const ms = Date.now() - t0;
    assert.equal(ok.status, 200);
    const challenge = alice.received.find((m) => m.status === 401);
    assert.ok(challenge, 'the first REGISTER was challenged');
    assert.match(challenge.header('www-authenticate') ?? '', /^Digest .*realm="server1\.test"/);
    const contact = parseNameAddr(ok.headerValues('contact')[0] ?? '');
    assert.equal(contact.params.expires, '30');
    assert.deepEqual(await lab.servers.server1.registrations(), ['sip:3999@server1.test']);
    assert.deepEqual(await lab.servers.server2.registrations(), []);
    process.stdout.write(`# registration with digest auth took ${ms} ms\n`);
  });

  it('grants at most 30 s and at least 10 s', async () => {
    const carol = await phone(lab.servers.server1, account('server1', '4000'));
    const long = await carol.register(3600);
    assert.equal(parseNameAddr(long.headerValues('contact')[0] ?? '').params.expires, '30');
    const short = await carol.register(5);
    assert.equal(parseNameAddr(short.headerValues('contact')[0] ?? '').params.expires, '10');
    const gone = await carol.register(0);
    assert.equal(gone.status, 200);
    assert.deepEqual(await lab.servers.server1.registrations(), []);
  });

  it('refuses a wrong password and an unknown user with 403, and registers neither', async () => {
    const wrong = await phone(lab.servers.server1, account('server1', '4001'), { password: 'not-the-password' });
    assert.equal((await wrong.register()).status, 403);
    const stranger = await SipWsClient.connect({ wsUrl: lab.servers.server1.wsUrl, domain: 'server1.test', user: '5999', password: 'x' });
    clients.push(stranger);
    assert.equal((await stranger.register()).status, 403);
    // an account of server2 is not an account of server1
    const bobHere = await SipWsClient.connect({
      wsUrl: lab.servers.server1.wsUrl, domain: 'server1.test', user: '2099', password: account('server2', '2099').password,
    });
    clients.push(bobHere);
    assert.equal((await bobHere.register()).status, 403);
    assert.deepEqual(await lab.servers.server1.registrations(), []);
  });

  it('drops a registration when its WebSocket closes', async () => {
    const dave = await phone(lab.servers.server1, account('server1', '4001'));
    assert.equal((await dave.register()).status, 200);
    assert.deepEqual(await lab.servers.server1.registrations(), ['sip:4001@server1.test']);
    await dave.close();
    const ms = await until('4001 unregistered', async () => (await lab.servers.server1.registrations()).length === 0, 5000);
    process.stdout.write(`# registration dropped ${ms} ms after the WebSocket closed\n`);
  });

  it('authenticates against the accounts database as it changes: created registers at once, deleted is refused', async () => {
    const db = openAccountsDb(lab.dbFile);
    try {
      upsertAccount(db, { username: '4555', domain: 'server1.test', password: 'new-user-pw' });
      const fresh = await SipWsClient.connect({ wsUrl: lab.servers.server1.wsUrl, domain: 'server1.test', user: '4555', password: 'new-user-pw' });
      clients.push(fresh);
      assert.equal((await fresh.register()).status, 200);
      assert.deepEqual(await lab.servers.server1.registrations(), ['sip:4555@server1.test']);
      assert.equal(deleteAccount(db, '4555', 'server1.test'), true);
      assert.equal((await fresh.register()).status, 403);
      upsertAccount(db, { username: '4555', domain: 'server1.test', password: 'changed' });
      assert.equal((await fresh.register()).status, 403, 'the old password no longer works');
      deleteAccount(db, '4555', 'server1.test');
    } finally {
      db.close();
    }
  });

  it('routes 122099 from server1 to 2099 on server2, caller shown as 113999, and the dialog works end to end', async () => {
    const alice = await phone(lab.servers.server1, account('server1', '3999'));
    const bob = await phone(lab.servers.server2, account('server2', '2099'));
    assert.equal((await alice.register()).status, 200);
    assert.equal((await bob.register()).status, 200);

    const incoming = bob.waitForRequest('INVITE');
    const outgoing = alice.invite('122099');
    const invite = await incoming;
    assert.equal(invite.from.user, '113999');
    assert.equal(invite.from.host, 'server2.test');
    assert.equal(invite.from.displayName, 'Alice', 'a display name the caller set is kept');
    assert.equal(invite.to.user, '2099');
    assert.ok(alice.received.some((m) => m.status === 407), 'the INVITE was challenged (407) before it was routed');

    bob.onrequest = (req) => bob.reply(req, 200, 'OK');
    bob.reply(invite, 200, 'OK', { body: 'v=0\r\n' });
    const answered = await outgoing;
    assert.equal(answered.response.status, 200);
    // uac restores the caller's own view of the dialog
    assert.equal(answered.response.from.user, '3999');
    assert.equal(answered.response.to.user, '122099');
    assert.ok(answered.dialog);
    const bye = await alice.bye(answered.dialog);
    assert.equal(bye.status, 200, 'BYE followed the record-route through both servers');
  });

  it('routes 113999 from server2 to 3999 on server1, caller shown as 122099 (or as the number when there is no display name)', async () => {
    const alice = await phone(lab.servers.server1, account('server1', '3999'));
    const bob = await phone(lab.servers.server2, account('server2', '2099'));
    const erin = await phone(lab.servers.server2, account('server2', '2100'), { displayName: null });
    for (const p of [alice, bob, erin]) assert.equal((await p.register()).status, 200);

    let incoming = alice.waitForRequest('INVITE');
    let outgoing = bob.invite('113999');
    let invite = await incoming;
    assert.equal(invite.from.user, '122099');
    assert.equal(invite.from.host, 'server1.test');
    assert.equal(invite.from.displayName, 'Bob');
    assert.equal(invite.to.user, '3999');
    alice.reply(invite, 486, 'Busy Here');
    assert.equal((await outgoing).response.status, 486);

    incoming = alice.waitForRequest('INVITE');
    outgoing = erin.invite('113999');
    invite = await incoming;
    assert.equal(invite.from.user, '122100');
    assert.equal(invite.from.displayName, '122100');
    alice.reply(invite, 486, 'Busy Here');
    assert.equal((await outgoing).response.status, 486);
  });

  it('reaches transfer targets across servers: a peer-domain URI and an aliased WebSocket contact', async () => {
    const alice = await phone(lab.servers.server1, account('server1', '3999'));
    const carol = await phone(lab.servers.server1, account('server1', '4000'));
    const bob = await phone(lab.servers.server2, account('server2', '2099'));
    for (const p of [alice, carol, bob]) assert.equal((await p.register()).status, 200);

    // blind transfer: Bob follows a REFER whose target is written in server1's domain
    let incoming = carol.waitForRequest('INVITE');
    let outgoing = bob.invite('sip:4000@server1.test');
    let invite = await incoming;
    assert.equal(invite.from.user, '122099', 'the target sees the original caller as server1 numbers him');
    carol.reply(invite, 486, 'Busy Here');
    assert.equal((await outgoing).response.status, 486);

    // attended transfer: the target is a contact aliased by the other server
    incoming = bob.waitForRequest('INVITE');
    outgoing = alice.invite('122099');
    bob.reply(await incoming, 200, 'OK', { body: 'v=0\r\n' });
    const call = await outgoing;
    const bobContact = parseNameAddr(call.response.headerValues('contact')[0] ?? '').uri;
    assert.match(bobContact, /;alias=127\.0\.0\.1~\d+~5/);
    incoming = bob.waitForRequest('INVITE');
    outgoing = carol.invite(bobContact);
    invite = await incoming;
    assert.equal(invite.from.user, '114000');
    bob.reply(invite, 486, 'Busy Here');
    assert.equal((await outgoing).response.status, 486);
    bob.onrequest = (req) => bob.reply(req, 200, 'OK');
    assert.equal((await alice.bye(call.dialog!)).status, 200);
  });

  it('pauses (SIGSTOP), resumes, kills and restarts a server on the same ports', async () => {
    const server = lab.servers.server2;
    const { wsUrl, sipPort } = server;
    const bob = await SipWsClient.connect({ wsUrl, domain: 'server2.test', user: '2099', password: account('server2', '2099').password, timeoutMs: 800 });
    clients.push(bob);
    assert.equal((await bob.register()).status, 200);

    server.pause();
    await assert.rejects(bob.options(), /timed out/, 'a paused server answers nothing');
    assert.equal(bob.isOpen, true, 'but keeps the connection open');
    server.resume();
    assert.equal((await bob.options()).status, 200);

    const oldPid = server.pid;
    await server.kill();
    assert.equal(server.pid, undefined);
    await bob.closed;
    await server.start();
    assert.ok(server.pid && server.pid !== oldPid);
    assert.equal(server.wsUrl, wsUrl);
    assert.equal(server.sipPort, sipPort);
    assert.equal(await wsOptions(wsUrl, 'server2.test'), 200);
    assert.deepEqual(await server.registrations(), [], 'a restarted server has forgotten its registrations');

    await server.stop();
    assert.equal(server.pid, undefined);
    await server.start();
    assert.equal(await udpOptions(sipPort, 'server2.test'), 200);
  });

  it('stop() leaves no Kamailio process of ours, and is safe to call twice', async () => {
    const dir = lab.dir;
    assert.ok(processesOf(dir).length >= 2, 'kamailio processes are running before stop');
    await lab.stop({ keepLogs: failed });
    await lab.stop();
    assert.deepEqual(processesOf(dir), []);
    assert.equal(lab.servers.server1.pid, undefined);
    assert.equal(lab.servers.server2.pid, undefined);
  });
});

describe('the lab web server', () => {
  it('takes JSON posts: the handler\'s result is the reply, its error a 400, anything but POST a 405', async () => {
    const echo = jsonPost(async (body) => {
      if (body.fail) throw new Error(`refused ${String(body.fail)}`);
      return { got: body };
    });
    const web = await startWebServer({ root: REPO_ROOT, routes: { '/echo': echo } });
    try {
      const post = (body: string) => fetch(`${web.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const ok = await post('{"n":1}');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await ok.json(), { got: { n: 1 } });
      assert.deepEqual(await (await post('')).json(), { got: {} }, 'an empty body is {}');
      const refused = await post('{"fail":"this"}');
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { message: 'refused this' });
      assert.equal((await post('{')).status, 400, 'a body that is not JSON');
      const get = await fetch(`${web.url}/echo`);
      assert.equal(get.status, 405);
      assert.deepEqual(await get.json(), { message: 'POST only' });
    } finally {
      await web.close();
    }
  });

  it('serves the repository with MIME types, no caching, extra routes, and nothing outside the root', async () => {
    const web = await startWebServer({ root: REPO_ROOT, routes: { '/lab.json': jsonRoute(() => ({ hello: 'lab' })) } });
    try {
      assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const pkg = await fetch(`${web.url}/package.json`);
      assert.equal(pkg.status, 200);
      assert.equal(pkg.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(pkg.headers.get('cache-control'), 'no-store');
      assert.equal(((await pkg.json()) as { name: string }).name, 'soft-phone');
      const js = await fetch(`${web.url}/lab/../node_modules/lit/index.js`);
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.deepEqual(await (await fetch(`${web.url}/lab.json`)).json(), { hello: 'lab' });
      const dir = await fetch(`${web.url}/lab`, { redirect: 'manual' });
      assert.equal(dir.status, 301);
      assert.equal(dir.headers.get('location'), '/lab/');
      assert.equal((await fetch(`${web.url}/no-such-file.js`)).status, 404);
      assert.equal((await fetch(`${web.url}/%2e%2e/%2e%2e/etc/passwd`)).status, 404);
    } finally {
      await web.close();
    }
  });
});

describe('the lab with TLS', () => {
  let tlsLab: Lab | undefined;
  let tlsFailed = false;
  afterEach((t) => {
    if (!(t as unknown as { passed?: boolean }).passed) tlsFailed = true;
  });
  after(async () => {
    await tlsLab?.stop({ keepLogs: tlsFailed });
  });

  it('makes a lab CA and a server certificate with openssl, and both servers answer over wss:// trusting only that CA', async () => {
    tlsLab = await startLab({ tls: true });
    const tls = tlsLab.tls;
    assert.ok(tls, 'lab.tls is set');
    const openssl = (args: string[], input?: Buffer): Buffer => {
      const r = spawnSync('openssl', args, { input });
      assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr.toString()}`);
      return r.stdout;
    };
    // the server certificate chains to the lab CA, for 127.0.0.1 and localhost
    assert.match(openssl(['verify', '-CAfile', tls.caFile, tls.certFile]).toString(), /: OK/);
    const text = openssl(['x509', '-in', tls.certFile, '-noout', '-text']).toString();
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /DNS:localhost/);
    assert.match(text, /TLS Web Server Authentication/);
    // spkiHash is what Chromium's --ignore-certificate-errors-spki-list wants: base64 sha256 of the SPKI (DER)
    const spki = openssl(['pkey', '-pubin', '-outform', 'der'], openssl(['x509', '-in', tls.certFile, '-pubkey', '-noout']));
    assert.equal(tls.spkiHash, openssl(['dgst', '-sha256', '-binary'], spki).toString('base64'));

    const ca = fs.readFileSync(tls.caFile);
    for (const server of Object.values(tlsLab.servers)) {
      assert.match(server.wssUrl ?? '', /^wss:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(server.wssPort, server.wsPort);
      assert.equal(await wsOptions(server.wssUrl!, server.domain, 2000, ca), 200);
      assert.equal(await wsOptions(server.wsUrl, server.domain, 2000), 200, 'ws:// still works beside wss://');
      // a client that does not trust the lab CA is refused by its own TLS check
      await assert.rejects(wsOptions(server.wssUrl!, server.domain, 2000), /self[- ]signed|unable to (get|verify)|certificate/i);
    }

    // a registration over wss:// (digest auth as over ws)
    const a = tlsLab.accounts.server1[0]!;
    const client = await SipWsClient.connect({ wsUrl: tlsLab.servers.server1.wssUrl!, ca, domain: a.domain, user: a.extension, password: a.password });
    try {
      assert.equal((await client.register()).status, 200);
      assert.deepEqual(await tlsLab.servers.server1.registrations(), [`sip:${a.extension}@${a.domain}`]);
    } finally {
      await client.close();
    }
  });

  it('a lab without tls has no wss:// URL and no TLS material', async () => {
    assert.equal(lab.tls, undefined);
    assert.equal(lab.servers.server1.wssUrl, undefined);
    assert.equal(lab.servers.server1.wssPort, undefined);
  });

  it('the lab web server serves over https with the lab certificate', async () => {
    const tls = tlsLab?.tls;
    assert.ok(tls);
    const web = await startWebServer({ root: REPO_ROOT, https: tls });
    try {
      assert.match(web.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const https = await import('node:https');
      const status = await new Promise<number>((resolve, reject) => {
        https
          .get(`${web.url}/package.json`, { ca: fs.readFileSync(tls.caFile) }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      await web.close();
    }
  });
});
