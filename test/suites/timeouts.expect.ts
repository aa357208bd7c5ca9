/**
 * smtp/timeouts: what each client does when the server goes silent, with every timeout at 1 s and the
 * runner's deadline at 5 s (suites/smtp/timeouts.ts). Durations are the client's own; a result takes
 * about 1 s longer, because the stalled proxy reads nothing, so it never sees the client leave and the
 * runner waits its full QUIT grace (src/engine/run.ts) before closing it.
 */
import type { Want } from './want.js';

/** What a client that honours its timeouts does: it times out after 1 s where it waits. */
const COMMON: Record<string, Want> = {
  'stall-no-greeting': ['timeout', 'connect', 'conformant'],
  'stall-before-ehlo-reply': ['timeout', 'ehlo', 'conformant'],
  'stall-before-mail-reply': ['timeout', 'mail', 'conformant'],
  'stall-before-rcpt-reply': ['timeout', 'rcpt', 'conformant'],
  'stall-before-data-reply': ['timeout', 'data', 'conformant'],
  'stall-after-dot': ['timeout', 'dot', 'conformant'],
};

// nodemailer: greetingTimeout fires at the silent greeting ("Greeting never received"), socketTimeout
// everywhere else (ETIMEDOUT "Timeout"), each after 1 s. It pipelines MAIL, RCPT and DATA; a stall
// before the reply to RCPT or DATA lets the earlier replies through, so it waits at RCPT or DATA.

/** Per client: where it differs from COMMON. */
const CLIENT_WANTS: Record<string, Record<string, Want>> = {
  nodemailer: {},
  'nodemailer-pool': {},
  // curl counts the greeting and EHLO as part of connecting: --connect-timeout fires after 1 s (exit
  // 28). After that nothing the adapter sets times a reply out: --speed-limit/--speed-time watches the
  // upload only, and the 7.88 CLI has no flag for libcurl's server response timeout (120 s; measured
  // directly: exit 28 "server response timeout" at 120 s after a silent MAIL, then QUIT, exit at
  // 123 s). So it waits for MAIL's, RCPT's and DATA's reply past the 5 s deadline. After the dot the
  // speed check does fire, at about 7 s (its window must first forget the body), and curl then waits
  // for QUIT's 221: still running when killed at 30 s. Hung, a deviation: a real finding.
  curl: {
    'stall-before-mail-reply': ['hung', 'mail', 'deviates'],
    'stall-before-rcpt-reply': ['hung', 'rcpt', 'deviates'],
    'stall-before-data-reply': ['hung', 'data', 'deviates'],
    'stall-after-dot': ['hung', 'dot', 'deviates'],
  },
  // swaks --timeout 1s: times the reply out after 1 s, then sends QUIT (the stalled proxy does not
  // read it) and waits 1 s more for the 221: exit 21-26 (the step that failed) after 2 s; at EHLO it
  // first tries HELO (1 s more), 3 s.
  swaks: {},
  // msmtp --timeout=1: exit 74 "network read error: the operation timed out" after 1 s, no QUIT.
  msmtp: {},
  // smtplib timeout=1: socket.timeout after 1 s, raised as SMTPServerDisconnected ("Connection
  // unexpectedly closed: timed out"); the script reports it as ETIMEDOUT. No QUIT.
  smtplib: {},
};

/** The expectation for a timeouts scenario id and client. */
export function expectTimeouts(id: string, client: string): Want | undefined {
  const name = /^smtp\/timeouts\/(.+)$/.exec(id)?.[1] ?? '';
  const want = CLIENT_WANTS[client]?.[name] ?? COMMON[name];
  return CLIENT_WANTS[client] ? want : undefined;
}
