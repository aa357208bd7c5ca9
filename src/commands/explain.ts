import { isUserFacing } from '../util/errors.js';

/**
 * The text the CLI prints for an error that ended a command: the message alone for the user's errors
 * (decided by code: a WireprobeError meant for the user, Node's argument parser, a port that cannot be
 * listened on), otherwise an internal error, with its stack only when `debug` (WIREPROBE_DEBUG) is set.
 */
export function explainError(error: unknown, debug: boolean): string {
  const e = error as Error & { code?: string };
  if (isUserFacing(error)) return e.message;
  if (e.code?.startsWith('ERR_PARSE_ARGS')) return e.message.split('\n')[0]!;
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') return `cannot listen: ${e.message}`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `cannot listen: unknown host (${e.message})`;
  return `internal error: ${e.message}${debug ? `\n${e.stack}` : ' (set WIREPROBE_DEBUG=1 for details)'}`;
}
