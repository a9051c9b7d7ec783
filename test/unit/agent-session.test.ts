/**
 * The agent session controller on its own (no DOM): an agent logs in, changes status while calls
 * come and go, and logs out, against an in-memory provisioning API behind a fake fetch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_TRANSITIONS, AgentSession, type AgentPhase } from '../../src/provisioning/agent-session.js';
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
  reconnecting: false,
  local: true,
  held: state === 'held',
  warnings: [],
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

  it('a virtual extension from the list logs in virtual even when the server answers with SIP settings', async () => {
    const { fetch } = api((r) => {
      const path = new URL(r.url).pathname;
      if (path.endsWith('/extensions')) {
        const list = [{ number: '101', kind: 'personal', label: 'Ann' }, { number: '600', kind: 'virtual', label: 'mobile +48601', mobile: '+48601' }];
        return new Response(JSON.stringify(list), { headers: { 'content-type': 'application/json' } });
      }
      return undefined; // the default answer: SIP settings, status available
    });
    const { agent } = session(fetch);
    await settle();
    assert.equal(agent.phase, 'choosing');
    const s = await agent.login('600');
    assert.equal(s.sip, null, 'no SIP settings reach the phone');
    assert.equal(agent.registers, false);
    assert.equal(agent.status, 'virtual');
    assert.deepEqual(agent.session?.virtual, { extension: '600', mobile: '+48601' });
  });

  it('the phase moves only along its table: a login may start before the list arrives; a failed one goes back to choosing', async () => {
    const { fetch } = api((r) => (r.method === 'POST' && (r.body as { extension?: string }).extension === '999' ? new Response('{}', { status: 500 }) : undefined));
    const phases: string[] = [];
    const agent = new AgentSession({ changed: () => phases.at(-1) !== agent.phase && phases.push(agent.phase), statusChanged: () => undefined });
    agent.configure('http://p.test', 'ann', { fetch });
    await agent.login('101');
    await settle();
    await agent.logout(async () => undefined);
    await settle();
    await assert.rejects(agent.login('999'));
    assert.deepEqual(phases, ['off', 'loading', 'starting', 'active', 'off', 'loading', 'choosing', 'starting', 'choosing']);
    for (const [from, to] of phases.slice(0, -1).map((p, i) => [p, phases[i + 1]!] as const)) {
      assert.ok(from === to || AGENT_TRANSITIONS[from as AgentPhase].includes(to as AgentPhase), `${from} -> ${to} is in the table`);
    }
    assert.ok(!AGENT_TRANSITIONS.active.includes('starting'), 'no second login while logged in');
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
