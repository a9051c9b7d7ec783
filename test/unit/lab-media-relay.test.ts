/**
 * The lab's media relay (lab/media-relay.ts) with plain UDP sockets on 127.0.0.1: two endpoints that
 * only know each other's stand-ins reach each other, see only stand-ins as sources, and get the
 * configured delay and loss.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { MediaRelay, MediaRelayProcess } from '../../lab/media-relay.js';

async function endpoint(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** The next datagram `s` receives, with its source port and when it came. */
function next(s: dgram.Socket): Promise<{ text: string; from: number; at: number }> {
  return new Promise((resolve) => s.once('message', (msg, rinfo) => resolve({ text: msg.toString(), from: rinfo.port, at: performance.now() })));
}

describe('media relay', () => {
  const sockets: dgram.Socket[] = [];
  const relays: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const s of sockets) s.close();
    for (const r of relays) await r.close();
  });

  it('connects two endpoints through stand-ins both ways, with the delay set while it runs', async () => {
    const relay = new MediaRelay();
    relays.push(relay);
    const [a, b] = [await endpoint(), await endpoint()];
    sockets.push(a, b);
    const aPort = a.address().port;
    const bPort = b.address().port;
    const bStandIn = await relay.portFor(bPort);
    const aStandIn = await relay.portFor(aPort);
    assert.equal(await relay.portFor(bPort), bStandIn, 'one stand-in per address');

    const atB = next(b);
    a.send('hello', bStandIn, '127.0.0.1');
    const got = await atB;
    assert.equal(got.text, 'hello');
    assert.equal(got.from, aStandIn, "b sees a's stand-in as the source");
    const atA = next(a);
    b.send('back', got.from, '127.0.0.1');
    assert.deepEqual([(await atA).text, (await atA).from], ['back', bStandIn]);

    relay.set({ delayMs: 120 });
    const sent = performance.now();
    const delayed = next(b);
    a.send('slow', bStandIn, '127.0.0.1');
    const late = await delayed;
    assert.equal(late.text, 'slow');
    assert.ok(late.at - sent >= 110, `held back ${late.at - sent} ms`);
    assert.deepEqual((await relay.stats()).ports, { [`127.0.0.1:${bPort}`]: bStandIn, [`127.0.0.1:${aPort}`]: aStandIn });
  });

  it('drops everything at 100 % loss and counts it', async () => {
    const relay = new MediaRelay({ lossPct: 100 });
    relays.push(relay);
    const b = await endpoint();
    sockets.push(b);
    const standIn = await relay.portFor(b.address().port);
    const a = await endpoint();
    sockets.push(a);
    for (let i = 0; i < 5; i++) a.send('x', standIn, '127.0.0.1');
    const deadline = Date.now() + 5000;
    while ((await relay.stats()).dropped < 5 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.deepEqual([(await relay.stats()).dropped, (await relay.stats()).forwarded], [5, 0]);
  });

  it('refuses bad settings naming them, in its own process too', async () => {
    const relay = await MediaRelayProcess.start();
    relays.push(relay);
    await assert.rejects(relay.set({ delayMs: -1 }), /delayMs must be a number from 0 to 60000, got -1/);
    await assert.rejects(relay.set({ lossPct: 101 }), /lossPct .* got 101/);
    await assert.rejects(relay.set({ delay: 5 } as never), /unknown setting 'delay'/);
    await assert.rejects(relay.portFor(0), /port must be 1..65535, got 0/);
    assert.deepEqual(await relay.set({ jitterMs: 40 }), { delayMs: 0, jitterMs: 40, lossPct: 0 });
    assert.throws(() => new MediaRelay({ jitterMs: Number.NaN }), /jitterMs .* got NaN/);
  });
});
