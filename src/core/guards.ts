/**
 * Small guards the element runs before it hands an action to the engine: which call a method
 * without an id means, and whether DTMF digits are valid.
 */
import { SoftPhoneError } from '../errors.js';
import { CallState, isRingingIn, type CallInfo } from './types.js';
import type { CallOperation } from './call-policy.js';

/**
 * The call an id-less method means:
 * - `answer` / `decline`: the incoming call that has rung longest;
 * - `unhold`: the most recently started held call;
 * - everything else: the "current" call, the newest established one, else the newest being
 *   transferred, else the newest outbound call still connecting, else the newest held one, else the
 *   incoming call that has rung longest.
 */
export function currentCall(calls: readonly CallInfo[], op: CallOperation = 'hangup'): CallInfo | undefined {
  const live = calls.filter((c) => c.state !== CallState.Ended);
  const newest = (list: CallInfo[]) => list.reduce<CallInfo | undefined>((a, c) => (!a || c.startedAt >= a.startedAt ? c : a), undefined);
  const oldest = (list: CallInfo[]) => list.reduce<CallInfo | undefined>((a, c) => (!a || c.startedAt < a.startedAt ? c : a), undefined);
  const ringingIn = live.filter(isRingingIn);
  if (op === 'answer' || op === 'decline') return oldest(ringingIn);
  const held = live.filter((c) => c.state === CallState.Held);
  if (op === 'unhold') return newest(held);
  return (
    newest(live.filter((c) => c.state === CallState.Established)) ??
    newest(live.filter((c) => c.state === CallState.Transferring)) ??
    newest(
      live.filter(
        (c) =>
          c.direction === 'outbound' &&
          (c.state === CallState.Dialing || c.state === CallState.Ringing || c.state === CallState.EarlyMedia),
      ),
    ) ??
    newest(held) ??
    oldest(ringingIn)
  );
}

/** The call `callId` names, or the current call for `op`; `NO_SUCH_CALL` naming the id otherwise. */
export function requireCall(calls: readonly CallInfo[], callId: string | null | undefined, op: CallOperation = 'hangup'): CallInfo {
  if (callId !== undefined && callId !== null) {
    const call = calls.find((c) => c.id === callId);
    if (!call || call.state === CallState.Ended) throw new SoftPhoneError('NO_SUCH_CALL', `there is no call ${JSON.stringify(String(callId))}`);
    return call;
  }
  const call = currentCall(calls, op);
  if (!call) {
    const what = op === 'answer' || op === 'decline' ? 'no incoming call is ringing' : op === 'unhold' ? 'no call is on hold' : 'there is no call';
    throw new SoftPhoneError('NO_SUCH_CALL', what);
  }
  return call;
}

/** DTMF digits: `0-9 * # A-D` (lowercase a-d accepted), 1 to 64 of them. Returns them uppercased. */
export function parseDtmf(digits: unknown): string {
  if (typeof digits !== 'string' || !/^[0-9*#A-Da-d]{1,64}$/.test(digits)) {
    const shown = typeof digits === 'string' ? JSON.stringify(digits.length > 64 ? `${digits.slice(0, 63)}…` : digits) : typeof digits;
    throw new SoftPhoneError('INVALID_NUMBER', `${shown} are not DTMF digits: use 0-9, *, # and A-D`);
  }
  return digits.toUpperCase();
}
