/**
 * The verdict on one run: did the client do what a conformant client does, given what it reported
 * and what the server's sink holds? "Nothing lost, nothing twice" is checked for every scenario.
 */
import type { Accounting, Expect, FtpReport, Outcome, PinnedOutcome, SinkReport, Verdict } from './types.js';
import { formatOutcome, sawOutcome } from './outcome-format.js';
import { HANDSHAKE } from '../faults/base.js';
import { BDAT_LAST } from '../protocol/smtp.js';

export interface Judged {
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface Evidence {
  readonly expect: Expect;
  /** A fault was configured and never fired. */
  readonly unfired: boolean;
  /** Every step (command verb, `dot`) the client sent, over all its sessions. */
  readonly steps: ReadonlySet<string>;
  /** Of those, the steps sent in clear (before TLS, or with none); default none. */
  readonly clearSteps?: ReadonlySet<string>;
  readonly outcome: Outcome;
  readonly sink: SinkReport;
  /** With several messages: the accounting per message. */
  readonly messages?: Accounting;
  /** How the client broke framing rules, if it did. */
  readonly violations?: readonly string[];
  /** The outcome the user pinned for this client: it replaces the rule (not the integrity checks). */
  readonly pinned?: PinnedOutcome;
  /** The client step the scenario's fault waited on (`EHLO` for `after EHLO`), if any: an unfired fault's reason names it. */
  readonly waitedOn?: string;
  /**
   * A fault waiting on a body octet (`after DATA +64KiB`) that no message reached: the longest body the
   * client sent, and the octet count the fault waited for (a client that composes its own, shorter message).
   */
  readonly shortBody?: { readonly longest: number; readonly offset: number };
  /** The client composes its own message (SmtpClientAdapter.composes): what arrived was counted, not compared. */
  readonly counted?: true;
  /** See leftBeforeTheCut. */
  readonly leftFirst?: true;
}

/**
 * The scenario's fault was to end the client's connection (an RST or a FIN toward it) and fired, but
 * the client had closed it itself first, on its turn (Outcome.byClient): the cut never reached it, so
 * the run says nothing of how it meets one. Not a pass: as an unfired fault is not.
 */
function leftBeforeTheCut(saw: string): Judged {
  return {
    verdict: 'unfired',
    reason: `the fault fired, but the client had left before its cut reached it (${saw}): the run says nothing of how it meets one`,
  };
}

/** Why a fault waiting on `step` never fired, when the client never sent it; '' when it did (or nothing was waited on). */
function notSent(waited: string | undefined, steps: ReadonlySet<string>): string {
  // Steps are the verbs sent (BDAT for its last chunk too) and `dot`; the greeting and a TLS handshake are not the client's commands.
  const step = waited === BDAT_LAST ? 'BDAT' : waited;
  if (step === undefined || step === 'greeting' || step === HANDSHAKE || steps.has(step)) return '';
  // RFC 5321 §4.1.1.1: HELO is the greeting of a client that uses no extension.
  const instead = step === 'EHLO' && steps.has('HELO') ? ' (it greeted with HELO, RFC 5321 §4.1.1.1)' : '';
  return `: the client never sent ${step === 'dot' ? 'the end of data (<CRLF>.<CRLF>)' : step}${instead}`;
}

/** Ends every reason when what arrived cannot be seen (SinkReport.verifiable false). */
export const NOT_VERIFIABLE = 'delivery not verifiable: give --maildir DIR to check what arrived';

/** Ends every reason when what arrived was counted, not compared (Evidence.counted). */
export const COUNTED = 'its messages counted, not compared: it composes its own';

/**
 * Judges one run. Unfired is never a pass; integrity and duplicates are checked before the rule. With a
 * sink that cannot be verified, the client's outcome alone, and the reason says so instead of claiming
 * delivery; with messages only counted, the reason says that.
 */
export function judge(evidence: Evidence): Judged {
  const judged = judgeVerified(evidence);
  const ending = evidence.sink.verifiable === false ? NOT_VERIFIABLE : evidence.counted ? COUNTED : undefined;
  return ending ? { ...judged, reason: `${judged.reason.replace(/\.$/, '')}; ${ending}` } : judged;
}

function judgeVerified({
  expect,
  unfired,
  steps,
  clearSteps = new Set(),
  outcome,
  sink,
  messages,
  violations = [],
  pinned,
  waitedOn,
  shortBody,
  leftFirst,
}: Evidence): Judged {
  const saw = sawOutcome(outcome);
  const verifiable = sink.verifiable !== false;
  // Sent in clear what must not be: the harm is done whatever the client reported afterwards.
  const forbidden = expect.neverSends?.steps.find((step) => clearSteps.has(step));
  if (forbidden) return deviates(`sent ${forbidden} in clear; ${expect.neverSends?.rule}`);
  const short = shortBody && `: no message body reached octet ${shortBody.offset} (the longest had ${shortBody.longest})`;
  const never = unfired ? notSent(waitedOn, steps) || short || '' : '';
  if (messages) return judgeAccounts(expect, unfired, outcome, sink, messages, pinned, never);
  if (expect.wellFormed && violations.length > 0) return deviates(`the client ${violations[0]}`);
  const must = expect.mustSend;
  if (unfired && must && !steps.has(must.step)) return deviates(`never sent ${must.step}, so the fault waiting on it could not fire; ${must.rule}`);
  if (unfired) return { verdict: 'unfired', reason: `the fault never fired${never}; the client saw ${saw}` };
  if (sink.copies > 1) return deviates(`duplicate delivery: the server accepted ${sink.copies} copies`);
  if (sink.copies > 0 && !sink.intact) return deviates('the server accepted a message whose size or SHA-256 differs from what was sent');
  if (verifiable && outcome.kind === 'delivered' && sink.copies === 0) return deviates('reported delivered, but the server holds no copy: the message is lost');
  if (leftFirst) return leftBeforeTheCut(saw);
  if (pinned) return byPin(pinned, outcome, '');
  if (outcome.kind === 'hung') {
    const held = sink.copies === 1 ? ' The server holds the message: a retry after the kill delivers it twice.' : '';
    return deviates(`never reported anything: still waiting at the deadline (${outcome.phase}); ${expect.rule}.${held}`);
  }
  // Nothing went in clear, yet it delivered: it secured the session anyway (STARTTLS though not offered).
  if (expect.neverSends && outcome.kind === 'delivered') {
    return { verdict: 'conformant', reason: `delivered, and sent none of ${expect.neverSends.steps.join(', ')} in clear; ${expect.neverSends.rule}` };
  }
  if (expect.client === 'delivers') {
    return outcome.kind === 'delivered'
      ? { verdict: 'conformant', reason: `${verifiable ? 'delivered exactly once' : 'reported delivered'}; ${expect.rule}` }
      : deviates(`did not deliver (${saw})${sink.copies === 1 ? ', yet the server holds the message: a retry delivers it twice' : ''}; ${expect.rule}`);
  }
  if (outcome.kind === 'delivered') return deviates(`reported success although the transaction was cut (${outcome.phase}); ${expect.rule}`);
  const trap = sink.copies === 1 ? ' The server did accept the message: a retry will deliver it twice (RFC 1047).' : '';
  return { verdict: 'conformant', reason: `reported the failure (${saw}); ${expect.rule}.${trap}` };
}

/** Several messages: nothing acknowledged lost, nothing twice, nothing corrupted, no hang. */
function judgeAccounts(expect: Expect, unfired: boolean, outcome: Outcome, sink: SinkReport, m: Accounting, pinned?: PinnedOutcome, never = ''): Judged {
  const retries = m.retried > 0 ? ` after ${m.retried} retries` : '';
  const tally = `${m.reportedDelivered} of ${m.sent} reported delivered${retries}, ${m.reportedFailed} reported failed`;
  if (unfired) return { verdict: 'unfired', reason: `the fault never fired${never}; ${tally}` };
  if (outcome.kind === 'hung') return deviates(`never finished: still sending at the deadline (${outcome.phase}); ${expect.rule}`);
  if (m.lost > 0) {
    // A message changed on the way (or by the client) is there, but no copy of what was sent: of those
    // with no copy, as many as the server holds changed ones may be those, the rest are lost.
    const changed = Math.min(m.changed ?? 0, m.lost);
    const gone = m.lost - changed;
    const what = [
      ...(changed > 0 ? [`${changed} at the server changed (size or SHA-256 differs from what was sent)`] : []),
      ...(gone > 0 ? [`${gone} lost (not at the server)`] : []),
    ];
    return deviates(`${m.lost} message(s) reported delivered have no copy at the server: ${what.join(', ')}; ${tally}`);
  }
  if (m.duplicated > 0) return deviates(`${m.duplicated} message(s) arrived more than once; ${tally}`);
  if (m.reportedDelivered < m.acknowledged) {
    return deviates(
      `the server's 250 reached the client for ${m.acknowledged} message(s), yet it reported ${m.reportedDelivered} delivered: a retry delivers twice; ${tally}`,
    );
  }
  if (!sink.intact) return deviates(`the server holds a message whose size or SHA-256 differs from what was sent; ${tally}`);
  if (pinned) return byPin(pinned, outcome, `; ${tally}`);
  const failures = m.reportedFailed > 0 ? ` (first failure: ${sawOutcome(outcome)})` : '';
  const checked = sink.verifiable === false ? '' : ', none lost, none twice';
  return { verdict: 'conformant', reason: `${tally}${failures}${checked}; ${expect.rule}` };
}

function deviates(reason: string): Judged {
  return { verdict: 'deviates', reason };
}

/** A pin as the user would write it: `reset@data`, `reply 451@rcpt`, `closed` (any phase). */
export function formatPin(pin: PinnedOutcome): string {
  return `${pin.kind}${pin.code === undefined ? '' : ` ${pin.code}`}${pin.phase === undefined ? '' : `@${pin.phase}`}`;
}

/** The outcome against the user's pin: each field the pin gives must match. `more`: what else to say. */
function byPin(pin: PinnedOutcome, outcome: Outcome, more: string): Judged {
  const matches =
    pin.kind === outcome.kind && (pin.code === undefined || pin.code === outcome.code) && (pin.phase === undefined || pin.phase === outcome.phase);
  const got = formatOutcome(outcome);
  return matches
    ? { verdict: 'conformant', reason: `got the pinned outcome ${formatPin(pin)} (${got})${more}` }
    : deviates(`pinned ${formatPin(pin)}, got ${got}${more}`);
}

/**
 * One FTP transfer: what the client reported against what the receiving end holds: for an upload the
 * server's file, for a download the file the client wrote out (a 226 can race a cut data connection,
 * so a client's success says nothing about the file until its size and SHA-256 match).
 */
export interface Transferred {
  /** The client reported it complete. */
  readonly reported: boolean;
  /** SHA-256 and size of what was sent (a download: the file the server served). */
  readonly sent: string;
  readonly bytes: number;
  /** SHA-256 and size of what the receiving end holds (the server's file, or the download), if anything. */
  readonly held?: string;
  readonly heldBytes?: number;
  /** An upload the server holds but will not let the login read back: what it holds is unknown. */
  readonly unverifiable?: true;
}

export interface FtpEvidence {
  readonly expect: Expect;
  readonly unfired: boolean;
  readonly outcome: Outcome;
  readonly transferred: readonly Transferred[];
  readonly download: boolean;
  readonly ftp: FtpReport;
  /** The outcome the user pinned for this client (and mode): it replaces the rule, after integrity. */
  readonly pinned?: PinnedOutcome;
  /** Commands the client sent in clear (before TLS, or with none), over all its sessions: for `neverSends`. */
  readonly clearSteps?: ReadonlySet<string>;
  /** Every command the client sent, over all its sessions; with `waitedOn`, as in Evidence. */
  readonly steps?: ReadonlySet<string>;
  readonly waitedOn?: string;
  /** As in Evidence. */
  readonly leftFirst?: true;
  /** The fault fired, but the server ended the data connection before the fault reached either end (DataInfo.overtaken): judged as unfired. */
  readonly overtaken?: true;
}

/** Why a run whose fault the server overtook (FtpEvidence.overtaken) is judged as one whose fault never fired. */
const OVERTAKEN = "the fault fired, but the server ended the data connection on its own before the fault's RST or FIN reached either end";

/**
 * Judges an FTP run. Integrity first: a transfer the client reported complete must be at the
 * receiving end byte for byte (size and SHA-256), else the run deviates whatever the rule, with both
 * hashes. Then the rule: `delivers` (the transfer completes), `fails` (the failure is reported, or the
 * client recovered on its own: it reconnected, resumed, and the whole file arrived intact), `accounts`
 * (parallel transfers: each reported complete is intact, the rest reported failed).
 */
export function judgeFtp(evidence: FtpEvidence): Judged {
  const judged = judgeTransfers(evidence);
  return evidence.transferred.some((t) => t.unverifiable) ? { ...judged, reason: `${judged.reason}; ${NOT_READ_BACK}` } : judged;
}

/** Ends the reason when an upload could not be read back (Transferred.unverifiable). */
export const NOT_READ_BACK = 'upload not verifiable: the server does not let the login read back what it stored';

function judgeTransfers({
  expect,
  unfired,
  outcome,
  transferred,
  download,
  ftp,
  pinned,
  clearSteps = new Set(),
  steps,
  waitedOn,
  leftFirst,
  overtaken,
}: FtpEvidence): Judged {
  const saw = sawOutcome(outcome);
  const retries = ftp.sessions > 1 || ftp.transfers > transferred.length ? ` (${ftp.sessions} connections, ${ftp.transfers} transfer commands)` : '';
  const never = overtaken ? OVERTAKEN : 'the fault never fired';
  if ((unfired || overtaken) && !expect.unfiredFine) {
    return { verdict: 'unfired', reason: `${never}${steps && !overtaken ? notSent(waitedOn, steps) : ''}; the client saw ${saw}` };
  }
  const forbidden = expect.neverSends?.steps.find((step) => clearSteps.has(step));
  if (forbidden) return deviates(`sent ${forbidden} in clear (${saw})${retries}; ${expect.neverSends?.rule}`);
  const fine = unfired || overtaken ? `${never}: ${expect.unfiredFine}; ` : '';
  const bad = transferred.find((t) => t.reported && !t.unverifiable && t.held !== t.sent);
  if (bad) {
    const where = download ? 'it received' : 'the server holds';
    const held = bad.held === undefined ? 'nothing' : `${bad.heldBytes} bytes with SHA-256 ${bad.held}`;
    const what = download ? 'the server served' : 'were sent';
    return deviates(
      `${fine}reported the ${download ? 'download' : 'upload'} complete, but ${where} ${held}, not the ${bad.bytes} bytes with SHA-256 ${bad.sent} that ${what}`,
    );
  }
  if (leftFirst) return leftBeforeTheCut(saw);
  if (pinned) return byPin(pinned, outcome, retries);
  if (outcome.kind === 'hung') return deviates(`${fine}never reported anything: still waiting at the deadline (${outcome.phase})${retries}; ${expect.rule}`);
  const done = transferred.filter((t) => t.reported).length;
  if (expect.client === 'accounts') {
    const tally = `${done} of ${transferred.length} transfers reported complete and intact, ${transferred.length - done} reported failed${retries}`;
    return { verdict: 'conformant', reason: `${fine}${tally}; ${expect.rule}` };
  }
  if (expect.client === 'delivers') {
    return outcome.kind === 'delivered'
      ? {
          verdict: 'conformant',
          reason: `${fine}${transferred.some((t) => t.unverifiable) ? 'reported complete' : 'transferred intact'}${retries}; ${expect.rule}`,
        }
      : deviates(`${fine}did not complete the transfer (${saw})${retries}; ${expect.rule}`);
  }
  // Integrity is checked above: a success here is the whole file, intact. Reached over more sessions or
  // data connections than transfers, it is the client's own recovery, not a missed failure.
  const reconnected = ftp.sessions > transferred.length; // parallel transfers open a session each
  if (outcome.kind === 'delivered' && (reconnected || ftp.data.connections > transferred.length)) {
    const how = reconnected ? 'reconnected and resumed' : 'opened a new data connection';
    const whole = download
      ? 'the whole file arrived intact'
      : transferred.some((t) => t.unverifiable)
        ? 'reported it complete'
        : 'the server holds the whole file intact';
    return { verdict: 'conformant', reason: `${fine}recovered on its own: ${how}, and ${whole}${retries}; ${expect.rule}` };
  }
  if (outcome.kind === 'delivered')
    return deviates(`${fine}reported success where it had to stop and report a failure (${outcome.phase})${retries}; ${expect.rule}`);
  return { verdict: 'conformant', reason: `${fine}reported the failure (${saw})${retries}; ${expect.rule}` };
}
