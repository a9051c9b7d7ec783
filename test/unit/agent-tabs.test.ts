/**
 * One agent login shared by the tabs of one browser (`AgentTabs` over a channel per agent), without
 * a browser: tabs are AgentSessions whose channels are wired to each other in memory, the
 * provisioning API is a fake fetch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentSession } from '../../src/provisioning/agent-session.js';
import { AgentTabs, agentChannelName } from '../../src/provisioning/agent-tabs.js';
import type { TabChannel as AgentChannel } from '../../src/tabs/protocol.js';
import type { ProvisioningSession } from '../../src/provisioning/client.js';
import type { CallInfo } from '../../src/core/types.js';

interface Request {
  method: string;
  path: string;
  body: unknown;
}

/** A provisioning API in memory: the requests it got, in order. */
function api() {
  const log: Request[] = [];
  const json = (data: unknown): Response => new Response(JSON.stringify(data), { headers: { 'content-type': 'application/json' } });
  const fetch = (async (input: string, init: RequestInit = {}) => {
    const r: Request = { method: init.method ?? 'GET', path: new URL(input).pathname, body: init.body ? JSON.parse(String(init.body)) : undefined };
    log.push(r);
    if (r.path.endsWith('/extensions')) return json([{ number: '101', kind: 'personal', label: 'Ann' }, { number: '600', kind: 'virtual', label: 'Ann', mobile: '+48601' }]);
    if (r.path.endsWith('/session') && r.method === 'POST') {
      const ext = (r.body as { extension?: string }).extension ?? '101';
      if (ext === '600') return json({ sip: null, virtual: { extension: '600', mobile: '+48601' }, status: 'virtual', statuses: ['virtual', 'break'] });
      return json({
        sip: { server: ['ws://127.0.0.1:1'], domain: 'd.test', extension: ext, authUser: ext, password: 'pw-secret', displayName: 'Ann' },
        status: 'available',
        statuses: ['available', 'break', 'incoming call', 'outgoing call'],
      });
    }
    if (r.path.endsWith('/session')) return new Response(null, { status: 204 });
    if (r.path.endsWith('/status')) return json(r.body);
    return new Response('{}', { status: 404 });
  }) as typeof globalThis.fetch;
  return { log, fetch };
}

/** Channels by name, like BroadcastChannel: a message reaches every other channel of its name, later. */
function network() {
  const channels = new Map<string, Set<AgentChannel>>();
  const sent: unknown[] = [];
  const open = (name: string): AgentChannel => {
    const peers = channels.get(name) ?? new Set<AgentChannel>();
    channels.set(name, peers);
    const channel: AgentChannel = {
      onmessage: null,
      postMessage(message: unknown) {
        sent.push(structuredClone(message));
        for (const peer of peers) if (peer !== channel) setTimeout(() => peer.onmessage?.({ data: structuredClone(message) } as MessageEvent));
      },
      close: () => void peers.delete(channel),
    };
    peers.add(channel);
    return channel;
  };
  return { open, sent };
}

/** One tab: its agent session, the settings its element took, the statuses it fired. */
function tab(fetch: typeof globalThis.fetch, net: ReturnType<typeof network>, leads = true) {
  const statuses: string[] = [];
  const seen: { adopted?: ProvisioningSession; loggedOut: number } = { loggedOut: 0 };
  const agent = new AgentSession({ changed: () => undefined, statusChanged: (s) => statuses.push(s), savesCallStatus: () => leads });
  agent.configure('http://p.test', 'ann', { fetch });
  const tabs = new AgentTabs(agent, {
    channel: net.open,
    adopted: (s) => (seen.adopted = s),
    loggedOut: () => seen.loggedOut++,
  });
  tabs.join(agentChannelName('ann', 'http://p.test'));
  return { agent, tabs, statuses, seen };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const established: CallInfo = {
  id: 'c1', direction: 'inbound', state: 'established', remote: { number: '4000', kind: 'internal' },
  muted: false, reconnecting: false, local: true, held: false, warnings: [], startedAt: 0,
};

/** Tabs a (holding the phone) and b of one agent, a logged in at 101 and b showing it. */
async function loggedInPair() {
  const server = api();
  const net = network();
  const a = tab(server.fetch, net);
  const b = tab(server.fetch, net, false);
  await settle();
  await a.agent.login('101');
  a.tabs.loggedIn();
  await settle();
  return { ...server, net, a, b };
}

describe('AgentTabs', () => {
  it('a login in one tab shows in the others at once (one POST), without the password; a tab opened later gets it too', async () => {
    const { b, log, fetch, net } = await loggedInPair();
    assert.equal(b.agent.phase, 'active');
    assert.equal(b.agent.extension, '101');
    assert.equal(b.agent.status, 'available');
    assert.equal(b.seen.adopted?.sip?.extension, '101');
    assert.equal(b.seen.adopted?.sip?.password, '');
    assert.deepEqual(b.statuses, [], 'available before and after: no status event');
    const c = tab(fetch, net, false);
    await settle();
    assert.equal(c.agent.extension, '101', 'the late tab asked and got the login');
    assert.equal(log.filter((r) => r.method === 'POST').length, 1, 'one session at the server');
    assert.ok(!JSON.stringify(net.sent).includes('pw-secret'), 'the password never crossed');
  });

  it('a status chosen in one tab shows (and fires) in every tab; the automatic call status is saved by the tab that holds the phone only', async () => {
    const { a, b, log } = await loggedInPair();
    await b.agent.setStatus('break');
    b.tabs.statusChosen();
    await settle();
    assert.equal(a.agent.status, 'break');
    assert.deepEqual(a.statuses, ['available', 'break']);
    a.agent.callsChanged([established]);
    b.agent.callsChanged([established]);
    await settle();
    assert.equal(a.agent.status, 'incoming call');
    assert.equal(b.agent.status, 'incoming call');
    const puts = log.filter((r) => r.method === 'PUT').map((r) => (r.body as { status: string }).status);
    assert.deepEqual(puts, ['break', 'incoming call'], 'one PUT per change, whatever the number of tabs');
  });

  it('a logout in one tab logs every tab out and back to the login list; the next login is shared again', async () => {
    const { a, b } = await loggedInPair();
    await b.agent.logout(async () => undefined);
    b.tabs.loggedOut();
    await settle();
    assert.equal(a.agent.session, undefined);
    assert.equal(a.agent.loginStep, true);
    assert.equal(a.seen.loggedOut, 1);
    assert.equal(a.agent.extensions.length, 2, 'the list is back');
    await b.agent.login('600');
    b.tabs.loggedIn();
    await settle();
    assert.equal(a.agent.status, 'virtual', 'a virtual login is shared too');
  });

  it('renew: the tab that takes over starts the session again at the same extension for its password and saves the chosen status again', async () => {
    const { a, b, log } = await loggedInPair();
    await a.agent.setStatus('break');
    a.tabs.statusChosen();
    await settle();
    a.tabs.close();
    const renewed = await b.agent.renew();
    await settle();
    assert.equal(renewed.sip?.password, 'pw-secret');
    assert.equal(b.agent.session?.sip?.password, '');
    const tail = log.slice(-2).map((r) => `${r.method} ${JSON.stringify(r.body)}`);
    assert.deepEqual(tail, ['POST {"extension":"101"}', 'PUT {"status":"break"}']);
    assert.equal(b.agent.status, 'break');
  });

  it('settled(): a logout another tab posted has reached this tab by then (the takeover does not start the session again)', async () => {
    const { a, b, net } = await loggedInPair();
    await b.agent.logout(async () => undefined);
    b.tabs.loggedOut();
    assert.ok(a.agent.session, 'the logout is still on its way');
    await a.tabs.settled();
    assert.equal(a.agent.session, undefined, 'and has arrived');
    assert.equal(a.seen.loggedOut, 1);
    const lone = new AgentTabs(new AgentSession({ changed: () => undefined, statusChanged: () => undefined }), {
      channel: net.open,
      adopted: () => undefined,
      loggedOut: () => undefined,
    });
    await lone.settled();
  });

  it('tabs of another agent or another provisioning server are not part of it; a tab that is logging in itself keeps its own login', async () => {
    assert.notEqual(agentChannelName('ann', 'http://p.test'), agentChannelName('bob', 'http://p.test'));
    assert.notEqual(agentChannelName('ann', 'http://p.test'), agentChannelName('ann', 'http://q.test'));
    assert.equal(agentChannelName('', 'http://p.test'), undefined);
    const { fetch } = api();
    const net = network();
    const a = tab(fetch, net);
    const bob = new AgentSession({ changed: () => undefined, statusChanged: () => undefined });
    bob.configure('http://p.test', 'bob', { fetch });
    new AgentTabs(bob, { channel: net.open, adopted: () => undefined, loggedOut: () => undefined }).join(agentChannelName('bob', 'http://p.test'));
    await settle();
    await a.agent.login('101');
    a.tabs.loggedIn();
    await settle();
    assert.equal(bob.session, undefined);
    assert.equal(a.agent.adopt({ session: a.agent.session!, chosen: 'break' }), false, 'a logged-in tab takes no other login');
  });
});
