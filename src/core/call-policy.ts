/**
 * Which call operations are allowed on which call: by the call's STATE (you cannot hold a call that
 * is still ringing) and by the call POLICY (who placed the call).
 *
 * Policy default, as in the contact-center product the linked-server feature comes from: on calls the
 * agent placed (`direction: 'outbound'`), the '*' transfer (attended), the '#' transfer (blind) and
 * park are NOT allowed; on inbound calls they are. Hold transfer is allowed on every call. Linked-server
 * calls follow exactly the same rule (that product lifted it there by mistake; we don't). The host
 * overrides single entries: `{ outbound: { blindTransfer: true } }`.
 *
 * Only the operations in `POLICY_OPERATIONS` can be restricted. Answering, declining, hanging up,
 * resuming and unmuting never can: they are how an agent gets out of a situation.
 *
 * Refusals come with a message KEY the UI localizes (`policy.outbound`, `state.ringing`...; every key
 * is in `BLOCK_REASONS`) and an English sentence for the `NOT_ALLOWED` error.
 */
import { SoftPhoneError } from '../errors.js';
import { CallState, isConnected, type CallDirection, type CallInfo } from './types.js';

/** Every operation the element performs on one call. */
export const CALL_OPERATIONS = [
  'answer',
  'decline',
  'hangup',
  'hold',
  'unhold',
  'mute',
  'unmute',
  'dtmf',
  'blindTransfer',
  'attendedTransfer',
  'holdTransfer',
  'park',
] as const;
export type CallOperation = (typeof CALL_OPERATIONS)[number];

/** The operations a call policy may allow or refuse. */
export const POLICY_OPERATIONS = ['blindTransfer', 'attendedTransfer', 'holdTransfer', 'park', 'hold', 'mute', 'dtmf'] as const;
export type PolicyOperation = (typeof POLICY_OPERATIONS)[number];

export type PolicyRules = Partial<Record<PolicyOperation, boolean>>;

/** The host's `callPolicy`: overrides per call direction; anything not named keeps its default. */
export interface CallPolicy {
  /** Calls the agent placed. */
  outbound?: PolicyRules;
  /** Calls the agent received. */
  inbound?: PolicyRules;
}

export type ResolvedCallPolicy = Readonly<Record<CallDirection, Readonly<Record<PolicyOperation, boolean>>>>;

const ALL_ALLOWED: Record<PolicyOperation, boolean> = {
  blindTransfer: true,
  attendedTransfer: true,
  holdTransfer: true,
  park: true,
  hold: true,
  mute: true,
  dtmf: true,
};

export const DEFAULT_CALL_POLICY: ResolvedCallPolicy = Object.freeze({
  outbound: Object.freeze({ ...ALL_ALLOWED, blindTransfer: false, attendedTransfer: false, park: false }),
  inbound: Object.freeze({ ...ALL_ALLOWED }),
});

/** Why an operation is refused; the UI has a message for each. */
export const BLOCK_REASONS = {
  'policy.outbound': 'the call policy does not allow it on calls the agent placed',
  'policy.inbound': 'the call policy does not allow it on calls the agent received',
  'state.ended': 'the call has ended',
  'state.not-inbound': 'only an incoming call can be answered or declined',
  'state.not-ringing': 'the call is not ringing',
  'state.not-established': 'the call is not connected yet',
  'state.held': 'the call is on hold',
  'state.not-held': 'the call is not on hold',
  'state.transferring': 'the call is being transferred',
} as const;
export type BlockReason = keyof typeof BLOCK_REASONS;

const OPERATION_NAMES: Record<CallOperation, string> = {
  answer: 'answer',
  decline: 'decline',
  hangup: 'hang up',
  hold: 'hold',
  unhold: 'resume',
  mute: 'mute',
  unmute: 'unmute',
  dtmf: 'send DTMF',
  blindTransfer: "blind transfer ('#' transfer)",
  attendedTransfer: "attended transfer ('*' transfer)",
  holdTransfer: 'hold transfer',
  park: 'park',
};

function isPolicyOperation(op: string): op is PolicyOperation {
  return (POLICY_OPERATIONS as readonly string[]).includes(op);
}

function configError(message: string): SoftPhoneError {
  return new SoftPhoneError('INVALID_CONFIG', message);
}

/**
 * Validates a host-supplied policy. `null`/`undefined` mean "the defaults". Unknown directions,
 * unknown or unrestrictable operations and non-boolean values are `INVALID_CONFIG` naming the key.
 * Returns a frozen copy holding only what the host set.
 */
export function parseCallPolicy(value: unknown): CallPolicy {
  if (value === undefined || value === null) return Object.freeze({});
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw configError(`callPolicy must be an object like { outbound: { blindTransfer: true } }, got ${typeof value}`);
  }
  const policy: CallPolicy = {};
  for (const [direction, rules] of Object.entries(value)) {
    if (direction !== 'outbound' && direction !== 'inbound') {
      throw configError(`callPolicy.${direction} is not a call direction: use "outbound" or "inbound"`);
    }
    if (rules === undefined) continue;
    if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
      throw configError(`callPolicy.${direction} must be an object of operation: boolean`);
    }
    const parsed: PolicyRules = {};
    for (const [op, allowed] of Object.entries(rules as object)) {
      if (!isPolicyOperation(op)) {
        const why = (CALL_OPERATIONS as readonly string[]).includes(op)
          ? `${op} cannot be restricted`
          : `${op} is not an operation`;
        throw configError(`callPolicy.${direction}.${op}: ${why}; the policy knows ${POLICY_OPERATIONS.join(', ')}`);
      }
      if (typeof allowed !== 'boolean') {
        throw configError(`callPolicy.${direction}.${op} must be true or false, got ${JSON.stringify(allowed) ?? typeof allowed}`);
      }
      parsed[op] = allowed;
    }
    policy[direction] = Object.freeze(parsed);
  }
  return Object.freeze(policy);
}

/** The full table: defaults with the host's overrides applied (non-boolean entries ignored). */
export function resolveCallPolicy(policy?: CallPolicy): ResolvedCallPolicy {
  const resolve = (direction: CallDirection) => {
    const table = { ...DEFAULT_CALL_POLICY[direction] };
    const rules = policy?.[direction];
    for (const op of POLICY_OPERATIONS) {
      const value = rules?.[op];
      if (typeof value === 'boolean') table[op] = value;
    }
    return Object.freeze(table);
  };
  return Object.freeze({ outbound: resolve('outbound'), inbound: resolve('inbound') });
}

type CallFacts = Pick<CallInfo, 'direction' | 'state'>;

/** The policy's refusal key, or undefined when the policy allows `op` on this call (state not checked). */
export function notAllowedReason(call: Pick<CallInfo, 'direction'>, op: CallOperation, policy?: CallPolicy): BlockReason | undefined {
  if (!isPolicyOperation(op)) return undefined;
  const rule = policy?.[call.direction]?.[op];
  const allowed = typeof rule === 'boolean' ? rule : DEFAULT_CALL_POLICY[call.direction][op];
  if (allowed) return undefined;
  return call.direction === 'outbound' ? 'policy.outbound' : 'policy.inbound';
}

/** True when the policy allows `op` on this call (its state is not looked at). */
export function isAllowed(call: Pick<CallInfo, 'direction'>, op: CallOperation, policy?: CallPolicy): boolean {
  return notAllowedReason(call, op, policy) === undefined;
}

function notAllowed(op: CallOperation, reason: BlockReason, callId?: string): SoftPhoneError {
  const call = callId === undefined ? 'this call' : `call ${callId}`;
  return new SoftPhoneError('NOT_ALLOWED', `${OPERATION_NAMES[op]} is not allowed on ${call}: ${BLOCK_REASONS[reason]}`);
}

/** Throws `NOT_ALLOWED` naming the operation and why when the policy refuses it. */
export function assertAllowed(call: Pick<CallInfo, 'direction'> & { id?: string }, op: CallOperation, policy?: CallPolicy): void {
  const reason = notAllowedReason(call, op, policy);
  if (reason) throw notAllowed(op, reason, call.id);
}

/** The state's refusal key, or undefined when the call's state permits `op` (policy not checked). */
export function stateBlockReason(call: CallFacts, op: CallOperation): BlockReason | undefined {
  const { state } = call;
  if (state === CallState.Ended) return 'state.ended';
  switch (op) {
    case 'answer':
    case 'decline':
      if (call.direction !== 'inbound') return 'state.not-inbound';
      return state === CallState.Ringing ? undefined : 'state.not-ringing';
    case 'hangup':
    case 'mute':
    case 'unmute':
      return undefined;
    case 'hold':
    case 'dtmf':
      if (state === CallState.Established) return undefined;
      if (state === CallState.Held) return 'state.held';
      return state === CallState.Transferring ? 'state.transferring' : 'state.not-established';
    case 'unhold':
      if (state === CallState.Held) return undefined;
      return state === CallState.Transferring ? 'state.transferring' : 'state.not-held';
    case 'holdTransfer':
      // the call the agent put on hold by hand is the one handed over
      if (state === CallState.Held) return undefined;
      return state === CallState.Transferring ? 'state.transferring' : 'state.not-held';
    case 'blindTransfer':
    case 'attendedTransfer':
    case 'park':
      if (state === CallState.Transferring) return 'state.transferring';
      return isConnected(call) ? undefined : 'state.not-established';
  }
}

/** The first reason `op` is refused on this call, state before policy; undefined when it is allowed. */
export function blockReason(call: CallFacts, op: CallOperation, policy?: CallPolicy): BlockReason | undefined {
  return stateBlockReason(call, op) ?? notAllowedReason(call, op, policy);
}

/** Throws `NOT_ALLOWED` naming the operation and why when the call's state or the policy refuses `op`. */
export function assertCallOperation(call: CallFacts & { id?: string }, op: CallOperation, policy?: CallPolicy): void {
  const reason = blockReason(call, op, policy);
  if (reason) throw notAllowed(op, reason, call.id);
}

/** For the UI: every operation with its refusal key (undefined = allowed), to enable/disable buttons. */
export function describeOperations(call: CallFacts, policy?: CallPolicy): Record<CallOperation, BlockReason | undefined> {
  const result = {} as Record<CallOperation, BlockReason | undefined>;
  for (const op of CALL_OPERATIONS) result[op] = blockReason(call, op, policy);
  return result;
}

/**
 * Completing a transfer joins a held call with a second (consult) call: the held call must be on
 * hold and the consult call connected (established, or held too). `op` is `attendedTransfer` for a '*' transfer the element
 * started (its policy was checked when it started, so only states are checked here) and
 * `holdTransfer` for a hold transfer the agent set up by hand (policy checked on the held call).
 */
export function assertTransferPair(
  held: CallFacts & { id: string },
  consult: CallFacts & { id: string },
  op: 'attendedTransfer' | 'holdTransfer',
  policy?: CallPolicy,
): void {
  if (held.id === consult.id) {
    throw new SoftPhoneError('NOT_ALLOWED', `${OPERATION_NAMES[op]} needs two different calls, got ${held.id} twice`);
  }
  const heldReason = stateBlockReason(held, 'unhold');
  if (heldReason) throw notAllowed(op, heldReason, held.id);
  const consultReason =
    consult.state === CallState.Ended
      ? 'state.ended'
      : consult.state === CallState.Transferring
        ? 'state.transferring'
        : isConnected(consult)
          ? undefined
          : 'state.not-established';
  if (consultReason) throw notAllowed(op, consultReason, consult.id);
  if (op === 'holdTransfer') assertAllowed(held, op, policy);
}
