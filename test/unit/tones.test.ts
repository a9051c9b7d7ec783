/**
 * The tone player's audio contexts: phones that ring on the default output share one context per
 * page (starting a context costs main-thread time and an audio thread), a phone that chose a
 * ringing device gets its own, and a context is closed once no phone uses it. Node has no Web
 * Audio, so a recording stand-in takes AudioContext's place.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TonePlayer } from '../../src/audio/tones.js';

class FakeAudioContext {
  static made: FakeAudioContext[] = [];
  state: 'suspended' | 'running' | 'closed' = 'running';
  currentTime = 0;
  destination = {};
  sinks: string[] = [];
  onstatechange: (() => void) | null = null;
  constructor() {
    FakeAudioContext.made.push(this);
  }
  setSinkId(id: string): Promise<void> {
    this.sinks.push(id);
    return Promise.resolve();
  }
  resume(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.state = 'closed';
    return Promise.resolve();
  }
  createGain = node;
  createOscillator = node;
}

function node(): object {
  return {
    gain: { setValueAtTime() {}, linearRampToValueAtTime() {} },
    frequency: { value: 0 },
    connect() {},
    disconnect() {},
    start() {},
    stop() {},
    onended: null,
  };
}

const globals = globalThis as { AudioContext?: unknown };

describe('tone player audio contexts', () => {
  const players: TonePlayer[] = [];
  const player = (onchange?: () => void): TonePlayer => {
    const p = new TonePlayer(onchange);
    players.push(p);
    return p;
  };
  beforeEach(() => {
    FakeAudioContext.made = [];
    globals.AudioContext = FakeAudioContext;
  });
  afterEach(async () => {
    for (const p of players.splice(0)) await p.dispose();
    delete globals.AudioContext;
  });

  it('warming starts the context before any tone, and the first ring uses it', () => {
    const a = player();
    a.warm('');
    assert.equal(FakeAudioContext.made.length, 1);
    a.play('ringtone');
    assert.equal(a.kind, 'ringtone');
    assert.equal(FakeAudioContext.made.length, 1, 'no second context at the first ring');
  });

  it('phones on the default output share one context, closed when the last one lets go', async () => {
    const [a, b, c] = [player(), player(), player()];
    a.warm('');
    b.warm('');
    c.play('ringback');
    assert.equal(FakeAudioContext.made.length, 1);
    const [ctx] = FakeAudioContext.made;
    await a.dispose();
    await b.dispose();
    assert.equal(ctx!.state, 'running', 'still used by c');
    await c.dispose();
    assert.equal(ctx!.state, 'closed');
    // the next phone starts a fresh one
    player().warm('');
    assert.equal(FakeAudioContext.made.length, 2);
  });

  it('every phone sharing the context hears its state changes', () => {
    let a = 0;
    let b = 0;
    player(() => a++).warm('');
    player(() => b++).warm('');
    FakeAudioContext.made[0]!.onstatechange?.();
    assert.deepEqual([a, b], [1, 1]);
  });

  it('a phone that rings on a chosen device gets a context of its own, leaving the shared one alone', () => {
    const a = player();
    const b = player();
    a.warm('');
    b.warm('');
    b.setSinks('ringer-2', '');
    b.play('ringtone');
    assert.equal(FakeAudioContext.made.length, 2);
    const [shared, own] = FakeAudioContext.made;
    assert.deepEqual(shared!.sinks, [], 'the shared context keeps the default output');
    assert.deepEqual(own!.sinks, ['ringer-2']);
    assert.equal(shared!.state, 'running', 'a still uses the shared context');
    a.play('ringtone');
    assert.equal(FakeAudioContext.made.length, 2);
  });
});
