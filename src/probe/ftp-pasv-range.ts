/**
 * `ftp.pasv-range` (documented in ./ftp-ids.ts): a series of passive setups on one logged-in session,
 * PASV and EPSV in turn, each port connected to (the control connection's address, as curl and lftp
 * do) and closed again without a transfer. What it shows: the span of ports the server hands out, the
 * span a firewall or NAT must forward, and whether every one of them is reachable: a port that
 * answers one time and not the next is a range forwarded only in part.
 *
 *   PASV ─► connect ─► close ─► EPSV ─► connect ─► close ─► … (ROUNDS setups; a verb refused is dropped)
 */
import { isIPv4 } from 'node:net';
import { openLoggedIn, type FtpSession } from './ftp-control.js';
import { finding, skipped } from './finding.js';
import { failedHow, said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import type { Finding, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.pasv-range';
const RFC = rfcOf(ID);

/** Passive setups per probe: enough to see a range move on, few enough to stay quick. */
export const PASV_RANGE_ROUNDS = 8;

const FORWARD =
  'behind NAT or a firewall, forward the whole passive range (vsftpd pasv_min_port/pasv_max_port, proftpd PassivePorts, pure-ftpd -p) to the server, and set the same range in the server';

/** One passive setup: the port the server named and whether it took a connection. */
interface Seen {
  readonly verb: 'PASV' | 'EPSV';
  readonly port: number;
  /** Empty when the port accepted; else how the connect failed (`refused the connection`). */
  readonly failed: string;
}

/** The pasv-range check, on a session of its own. */
export async function ftpPasvRangeChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped(ID, RFC, opened.why)];
  const s = opened.session;
  try {
    return [await pasvRange(s)];
  } finally {
    await s.quit();
  }
}

async function pasvRange(s: FtpSession): Promise<Finding> {
  // Over IPv6 only EPSV hands out a port the probe may use (a 227 cannot name the server; RFC 2428 §1).
  let verbs: ('PASV' | 'EPSV')[] = isIPv4(s.peer) ? ['PASV', 'EPSV'] : ['EPSV'];
  const seen: Seen[] = [];
  const refusals: string[] = [];
  for (let round = 0; seen.length < PASV_RANGE_ROUNDS && verbs.length > 0 && !s.stale; round++) {
    const verb = verbs[round % verbs.length]!;
    const r = await s.passive(verb, 'control');
    if (r.ok) {
      r.plan.close();
      seen.push({ verb, port: r.plan.address.port, failed: '' });
    } else if (r.stage === 'connect') seen.push({ verb, port: r.tried.port, failed: failedHow(r.failure) });
    else {
      // A verb the server refuses (or answers in a form we cannot read) is left out of the series.
      refusals.push(`${verb} got ${r.stage === 'reply' ? said(r.read) : `an unreadable ${r.reply.code}`}`);
      verbs = verbs.filter((v) => v !== verb);
    }
  }
  if (seen.length === 0) {
    const why = refusals.length > 0 ? refusals.join('; ') : 'the session broke';
    return skipped(ID, RFC, `Not run: no passive port was handed out (${why}; see ftp.pasv-connect and ftp.epsv).`, s.take());
  }
  const ports = seen.map((x) => x.port);
  const low = Math.min(...ports);
  const high = Math.max(...ports);
  const distinct = new Set(ports).size;
  const value = `${low}-${high} (${seen.length} seen)`;
  const span = `${seen.length} passive setups (${verbsUsed(seen)}) named ${distinct} port${distinct === 1 ? '' : 's'} between ${low} and ${high}`;
  const skippedVerbs = refusals.length > 0 ? ` (${refusals.join('; ')})` : '';
  const failed = seen.filter((x) => x.failed);
  if (failed.length > 0) {
    const list = failed.map((x) => `${x.port} (${x.verb}) ${x.failed}`).join(', ');
    const advice = `${span}${skippedVerbs}, and ${failed.length} of them did not take a connection: ${list}. The server listens there, so a firewall or port forwarding covers only part of the range, or none of it; ${FORWARD}.`;
    return finding(ID, 'fail', RFC, advice, s.take(), value);
  }
  const advice = `${span}${skippedVerbs}, and each took a connection. ${low === high ? 'Only one port was handed out: it serves one passive setup at a time, so parallel transfers and sessions wait or fail. ' : ''}The ports seen are part of the server's passive range, not necessarily all of it: ${FORWARD}.`;
  return finding(ID, 'pass', RFC, advice, s.take(), value);
}

/** `PASV and EPSV`, or the one verb used. */
function verbsUsed(seen: readonly Seen[]): string {
  const verbs = [...new Set(seen.map((x) => x.verb))];
  return verbs.join(' and ');
}
