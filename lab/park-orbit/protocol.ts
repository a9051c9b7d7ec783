/** Types shared by the orbit's Node side and its page script. */

export interface OrbitPageConfig {
  wsUrl: string;
  domain: string;
  slots: { slot: string; password: string }[];
  timeoutSeconds: number;
  /** How long the parker's phone rings when a parked call comes back, before the call is parked again. */
  ringSeconds: number;
  /** After this many unanswered returns the orbit hangs up the parked call. */
  maxReturns: number;
}

export interface ParkedCall {
  /** User part of the parked caller's URI (the number). */
  caller: string;
  callerName?: string;
  /** User part of the Referred-By URI: the agent who parked the call. */
  parkedBy?: string;
  /** Epoch milliseconds when the call was parked (again, after an unanswered return). */
  since: number;
  /** True while the orbit rings the parker to give the call back. */
  returning: boolean;
}

export type OrbitEvent =
  | { type: 'registered'; slot: string }
  | { type: 'unregistered'; slot: string }
  | { type: 'parked'; slot: string; caller: string; parkedBy?: string }
  | { type: 'refused'; slot: string; caller: string; reason: string }
  | { type: 'retrieved'; slot: string; caller: string; by: string }
  | { type: 'returning'; slot: string; caller: string; to: string }
  | { type: 'returned'; slot: string; caller: string; to: string }
  | { type: 'return-failed'; slot: string; caller: string; to: string; reason: string }
  | { type: 'ended'; slot: string; caller: string; reason: string }
  | { type: 'error'; slot?: string; message: string };
