/** Every code a `SoftPhoneError` can carry (see README "Errors"). */
export const ErrorCode = {
  NOT_REGISTERED: 'NOT_REGISTERED',
  INVALID_NUMBER: 'INVALID_NUMBER',
  INVALID_CONFIG: 'INVALID_CONFIG',
  NOT_ALLOWED: 'NOT_ALLOWED',
  NO_SUCH_CALL: 'NO_SUCH_CALL',
  AUTH_FAILED: 'AUTH_FAILED',
  TRANSPORT_ERROR: 'TRANSPORT_ERROR',
  MEDIA_DENIED: 'MEDIA_DENIED',
  CALL_FAILED: 'CALL_FAILED',
  TRANSFER_FAILED: 'TRANSFER_FAILED',
  PARK_FAILED: 'PARK_FAILED',
  NO_FREE_NUMBER: 'NO_FREE_NUMBER',
  PROVISIONING_ERROR: 'PROVISIONING_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error type the public API rejects with. `message` names the bad value where there is one
 * and never contains a secret.
 */
export class SoftPhoneError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'SoftPhoneError';
    this.code = code;
  }
  /** Plain, serializable form for event details. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isSoftPhoneError(e: unknown): e is SoftPhoneError {
  return e instanceof SoftPhoneError;
}

/** Wraps anything thrown into a SoftPhoneError with the given fallback code. */
export function toSoftPhoneError(e: unknown, fallback: ErrorCode): SoftPhoneError {
  if (e instanceof SoftPhoneError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SoftPhoneError(fallback, message);
}
