/**
 * wireprobe's one error base. Each error carries a literal `code` to test for (as undici's errors do),
 * so callers decide by code rather than by class, and the CLI knows which errors are the user's (one
 * line, exit code 2) and which are our own bugs (a stack with WIREPROBE_DEBUG).
 *
 *   UsageError (EUSAGE), FaultSyntaxError (EFAULTSYNTAX), TargetError (EBADTARGET, ENOTFOUND, ...),
 *   ServerNotInstalled (ENOTINSTALLED), Interrupted (EINTERRUPTED), ClientCrash (ECLIENTCRASH) ──extend──► WireprobeError
 *   the library's waits: EWAITTIMEOUT (nothing arrived in time), ECLOSED (the mock closed meanwhile)
 */

/** Why a probe target cannot be probed: the text (EBADTARGET), the name (ENOTFOUND), or the connect. */
export type TargetErrorCode = 'EBADTARGET' | 'ENOTFOUND' | 'ECONNREFUSED' | 'ETIMEDOUT' | 'ECONNECT';

/** Every code a WireprobeError can carry. */
export type WireprobeErrorCode = 'EUSAGE' | 'EFAULTSYNTAX' | TargetErrorCode | 'ENOTINSTALLED' | 'EINTERRUPTED' | 'ECLIENTCRASH' | 'EWAITTIMEOUT' | 'ECLOSED';

/** The codes whose message is written for the user: bad input, an unreachable target, a missing server. */
const USER_FACING: ReadonlySet<WireprobeErrorCode> = new Set<WireprobeErrorCode>([
  'EUSAGE',
  'EFAULTSYNTAX',
  'EBADTARGET',
  'ENOTFOUND',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNECT',
  'ENOTINSTALLED',
  'EWAITTIMEOUT',
  'ECLOSED',
]);

// A brand rather than instanceof: some codes (ENOTFOUND, ECONNREFUSED, ETIMEDOUT) are Node's too, and
// a Node error carrying them is not one whose message was written for the user.
const BRAND = Symbol.for('wireprobe.error');

/** An error wireprobe throws on purpose; `code` says which kind. */
export class WireprobeError<Code extends WireprobeErrorCode = WireprobeErrorCode> extends Error {
  readonly [BRAND] = true;
  constructor(
    message: string,
    readonly code: Code,
  ) {
    super(message);
  }
}

/** Whether `error` is a WireprobeError (from this or another copy of the module). */
export function isWireprobeError(error: unknown): error is WireprobeError {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
}

/** Whether `error`'s message is meant for the user as it is: one line, no stack. */
export function isUserFacing(error: unknown): error is WireprobeError {
  return isWireprobeError(error) && USER_FACING.has(error.code);
}
