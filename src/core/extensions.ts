/**
 * What an extension is, and which linked server a number reaches: the dial plan's rules 3 and 5
 * (core/dial-plan.ts), apart so the supervisor's monitor shows linked partners by the same rule
 * without loading the whole dial plan.
 */

const EXTENSION = /^[1-9][0-9]{2,5}$/;

/** True for 3-6 digits, the first not 0. */
export function isExtension(value: string): boolean {
  return EXTENSION.test(value);
}

/**
 * The linked server a number belongs to: the first of `servers` whose prefix the number starts
 * with, the rest being an extension.
 */
export function matchLinkedServer<S extends { readonly prefix: string }>(digits: string, servers: readonly S[]): S | undefined {
  return servers.find((s) => digits.startsWith(s.prefix) && isExtension(digits.slice(s.prefix.length)));
}
