/**
 * What every element test does the same way: `<soft-phone>` runs on the fake engine, a test mounts
 * elements that are removed again after it (and every engine must then be disposed), and it waits
 * for the element's asynchronous updates.
 */
import { expect } from '@esm-bundle/chai';
import 'axe-core/axe.min.js';
import type { AxeResults, ElementContext, RunOptions } from 'axe-core';
import { SoftPhone } from '../../src/soft-phone.js';
import type { SoftPhoneError } from '../../src/errors.js';
import { until as waitUntil } from '../until.js';
import { FakeEngine, fakeEngineFactory } from './fake-engine.js';

SoftPhone.engineFactory = fakeEngineFactory;

/** An event the element fired: its name without the `softphone-` prefix, and its detail. */
export interface Seen {
  type: string;
  detail: unknown;
}

const mounted: HTMLElement[] = [];

/**
 * Runs each test from a clean page: a fresh fake engine registry, no stored history, no page
 * language; after the test, every element it mounted is removed and every engine must be disposed.
 */
export function isolateTests(): void {
  beforeEach(() => {
    FakeEngine.reset();
    localStorage.clear();
    document.documentElement.lang = '';
  });
  afterEach(async () => {
    for (const el of mounted.splice(0)) el.remove();
    await until(() => FakeEngine.live().length === 0, 'every engine disposed');
  });
}

/**
 * Waits until `check` holds (the element updates asynchronously); fails with `what` if it never does.
 * 5 s of wall-clock time: a polling count (the old 300 x 10 ms) stretched under load, a deadline does not.
 */
export async function until(check: () => boolean, what: string): Promise<void> {
  await waitUntil(check, what, { timeoutMs: 5000, everyMs: 10 });
}

/** Appends `el` to the page; it is removed after the test. */
export function attach<T extends HTMLElement>(el: T): T {
  document.body.append(el);
  mounted.push(el);
  return el;
}

/**
 * Mounts a `<soft-phone>` with these attributes; `setup` sets properties and listeners before it
 * connects. Resolves after its first update.
 */
export async function mountPhone(attrs: Record<string, string>, setup?: (el: SoftPhone) => void): Promise<SoftPhone> {
  const el = document.createElement('soft-phone');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  setup?.(el);
  attach(el);
  await el.updateComplete;
  return el;
}

/** Resolves once the element is registered and has rendered it. */
export async function whenRegistered(el: SoftPhone): Promise<void> {
  await until(() => el.registrationState === 'registered', 'registered');
  await el.updateComplete;
}

/** Records the `softphone-<name>` events of `el` for these names, in order. */
export function recordEvents(el: HTMLElement, names: readonly string[]): Seen[] {
  const seen: Seen[] = [];
  for (const n of names) {
    el.addEventListener(`softphone-${n}`, (e) => seen.push({ type: n, detail: (e as CustomEvent).detail }));
  }
  return seen;
}

/** The one engine alive (fails when there is none or more than one). */
export function onlyEngine(): FakeEngine {
  const live = FakeEngine.live();
  expect(live.length, 'live engines').to.equal(1);
  return live[0]!;
}

/** The error `p` rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<SoftPhoneError> {
  try {
    await p;
  } catch (e) {
    return e as SoftPhoneError;
  }
  throw new Error('expected the promise to reject');
}

const axe = (window as unknown as { axe: { run(context: ElementContext, options: RunOptions): Promise<AxeResults> } }).axe;

/**
 * Runs axe-core on `el` (its shadow root included) as it is now; fails listing every violation:
 * rule, impact, what it asks, and each element it found with axe's summary of what is wrong there.
 */
export async function expectAccessible(el: HTMLElement, what = el.localName): Promise<void> {
  const { violations } = await axe.run(el, { resultTypes: ['violations'] });
  const found = violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(n.target)} - ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
  );
  if (found.length) expect.fail(`${what}: ${found.length} axe violation(s):\n${found.join('\n')}`);
}
