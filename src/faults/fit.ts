/**
 * Whether a fault can ever fire in a session of one protocol. A fault that cannot would sit armed and
 * come out `unfired` in every run, which reads as the scenario's failure, not the fault's: such a fault
 * is refused where it is given (scenario files, `serve --fault`, the control API).
 */
import { FTP_VERBS } from '../protocol/ftp.js';
import { BDAT_LAST, SMTP_VERBS } from '../protocol/smtp.js';
import type { At } from './base.js';
import { scopeOf, type Fault } from './registry.js';

/** Steps only SMTP has: its commands FTP does not share, and the end of message data. */
const SMTP_ONLY = new Set([...[...SMTP_VERBS].filter((verb) => !FTP_VERBS.has(verb)), 'dot', BDAT_LAST]);
/** Commands only FTP has. */
const FTP_ONLY = new Set([...FTP_VERBS].filter((verb) => !SMTP_VERBS.has(verb)));

/** The step a fault's trigger names (`after`, `before`, or the reply's `to`), if any. */
function stepOf(at: At): string | undefined {
  if (at === 'connect') return undefined;
  if ('after' in at) return at.after;
  return at.before === 'reply' && 'to' in at ? at.to : at.before;
}

/**
 * Why `fault` can never fire in a `protocol` session (`channel data is FTP only`, `RCPT is SMTP only`),
 * or undefined when it can. SMTP has no data connection and no data address; each protocol has
 * commands the other does not.
 */
export function neverFires(fault: Fault, protocol: 'smtp' | 'ftp'): string | undefined {
  if (protocol === 'smtp' && scopeOf(fault) === 'address') return `${fault.kind} is FTP only`;
  if (protocol === 'smtp' && fault.channel === 'data') return 'channel data is FTP only';
  const step = stepOf(fault.at)?.toUpperCase();
  if (step === undefined) return undefined;
  const only = protocol === 'ftp' ? SMTP_ONLY : FTP_ONLY;
  const named = [...only].find((s) => s.toUpperCase() === step);
  return named === undefined ? undefined : `${named} is ${protocol === 'ftp' ? 'SMTP' : 'FTP'} only`;
}
