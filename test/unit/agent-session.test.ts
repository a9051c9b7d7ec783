/**
 * The agent session controller on its own (no DOM): an agent logs in, changes status while calls
 * come and go, and logs out, against an in-memory provisioning API behind a fake fetch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentSession } from '../../src/provisioning/agent-session.js';
import type { CallInfo } from '../../src/core/types.js';

interface Request {
  method: string;
  url: string;
  body: unknown;
}

/** A provisioning API in memory; `answer` may override any request. */
function api(answer?: (r: Request) => Promise<Response | undefined> | Response | undefined) {
  const log: Request[] = [];
  const json = (data: unknown, status = 200): Response => new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
  const fetch = (async (input: string, init: RequestInit = {}) => {
    const r: Request = { method: init.method ?? 'GET', url: input, body: init.body ? JSON.parse(String(init.body)) : undefined };
    log.push(r);
    const special = await answer?.(r);
    if (special) return special;
    const path = new URL(input).pathname;
    if (path.endsWith('/extensions')) return json([{ number: '101', kind: 'personal', label: 'Ann' }]);
    if (path.endsWith('/session') && r.method === 'POST') {
      const ext = (r.body as { extension?: string }).extension;
      if (ext === '600') return json({ sip: null, virtual: { extension: '600', mobile: '+48601' }, status: 'virtual', statuses: ['virtual', 'available', 'break'] });
      return json({
        sip: { server: ['ws://127.0.0.1:1'], domain: 'd.test', extension: ext ?? '101', authUser: '101', password: 'pw-secret', displayName: 'Ann' },
        status: 'available',
        statuses: ['available', 'virtual', 'break', 'incoming call', 'outgoing call'],
      });
    }
    if (path.endsWith('/session')) return new Response(null, { status: 204 });
    if (path.endsWith('/status')) return json(r.body);
    return json({}, 404);
  }) as typeof globalThis.fetch;
  return { log, fetch };
}

function session(fetch: typeof globalThis.fetch, url = 'http://p.test') {
  const statuses: string[] = [];
  const agent = new AgentSession({ changed: () => undefined, statusChanged: (s) => statuses.push(s) });
  agent.configure(url, 'ann', { fetch });
  return { agent, statuses };
}

const call = (direction: 'inbound' | 'outbound', state: CallInfo['state']): CallInfo => ({
  id: `${direction}-${state}`,
  direction,
  state,
  remote: { number: '4000', kind: 'internal' },
  muted: false,
  held: state === 'held',
  startedAt: 0,
});
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('AgentSession', () => {
  it('the login hands the password to the caller and keeps none', async () => {
    const { fetch } = api();
    const { agent } = session(fetch);
    const s = await agent.login('101');
    assert.equal(s.sip?.password, 'pw-secret');
    assert.equal(agent.session?.sip?.password, '');
    assert.ok(!JSON.stringify(agent).includes('pw-secret'));
  });

  it('menus: a softphone login offers no virtual or call statuses; a virtual one has virtual instead of available', async () => {
    const { fetch } = api();
    const soft = session(fetch).agent;
    await soft.login('101');
    assert.deepEqual(soft.menu, ['available', 'break']);
    const virtual = session(fetch).agent;
    await virtual.login('600');
    assert.deepEqual(virtual.menu, ['virtual', 'break']);
    assert.equal(virtual.status, 'virtual');
  });

  it('calls: a ringing inbound call is not yet a call; an answered or held one is; virtual logins never change', async () => {
    const { fetch } = api();
    const { agent, statuses } = session(fetch);
    await agent.login('101');
    agent.callsChanged([call('inbound', 'ringing')]);
    assert.equal(agent.status, 'available');
    agent.callsChanged([call('inbound', 'held'), call('outbound', 'dialing')]);
    assert.equal(agent.status, 'incoming call', 'the oldest call decides');
    agent.callsChanged([call('outbound', 'dialing')]);
    assert.equal(agent.status, 'outgoing call');
    agent.callsChanged([]);
    assert.deepEqual(statuses, ['available', 'incoming call', 'outgoing call', 'available']);
    const virtual = session(fetch).agent;
    await virtual.login('600');
    virtual.callsChanged([call('outbound', 'established')]);
    assert.equal(virtual.status, 'virtual');
  });

  it('status changes reach the server one at a time, in order, even when an earlier answer is slower', async () => {
    const applied: string[] = [];
    let first = true;
    const { fetch } = api(async (r) => {
      if (!r.url.endsWith('/status')) return undefined;
      if (first) {
        first = false;
        await new Promise((res) => setTimeout(res, 60));
      }
      // What the server ends up with: the order the requests are handled in.
      applied.push((r.body as { status: string }).status);
      return undefined;
    });
    const { agent } = session(fetch);
    await agent.login('101');
    const chosen = agent.setStatus('break');
    agent.callsChanged([call('outbound', 'dialing')]);
    await chosen;
    await settle();
    assert.deepEqual(applied, ['break', 'outgoing call']);
  });

  it('logout: the phone goes first, then DELETE; when the server fails the agent is logged out here anyway and told', async () => {
    const order: string[] = [];
    const { fetch } = api((r) => {
      if (r.method === 'DELETE') {
        order.push('DELETE');
        return new Response('{"code":"INTERNAL","message":"down"}', { status: 500 });
      }
      return undefined;
    });
    const { agent } = session(fetch);
    await agent.login('101');
    await assert.rejects(
      agent.logout(async () => void order.push('unregister')),
      (e: { code?: string; message?: string }) => e.code === 'PROVISIONING_ERROR' && /500/.test(e.message ?? ''),
    );
    assert.deepEqual(order, ['unregister', 'DELETE']);
    assert.equal(agent.session, undefined);
    assert.equal(agent.loginStep, true);
    assert.equal(agent.status, 'available');
  });

  it('a new provisioning URL while logged in is used after the logout', async () => {
    const { fetch, log } = api();
    const { agent } = session(fetch);
    await agent.login('101');
    agent.configure('http://other.test', 'ann', { fetch });
    await agent.setStatus('break');
    assert.ok(log.at(-1)!.url.startsWith('http://p.test/'), 'the session stays with its server');
    await agent.logout(async () => undefined);
    await settle();
    assert.ok(log.at(-1)!.url.startsWith('http://other.test/'), 'the list comes from the new server');
  });
});
