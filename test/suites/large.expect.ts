/**
 * smtp/large: what each client does with a large message on a throttled link, against a server that
 * stops reading mid-body, and against a 552 mid-body followed by a FIN or an RST. Observed on Node 20,
 * curl 7.88.1, swaks 20201014.0, msmtp 1.8.23, Python 3.11 (smtplib), nodemailer 10.6.
 *
 * The 552 scenarios are where clients differ in an interesting way; both outcomes are failures, so
 * both are conformant:
 * - `then: 'close'` (FIN, the rest of the body read and dropped): every client surfaces the 552.
 *   nodemailer and curl read it while still writing and stop at once (curl exits 8, "weird server
 *   reply"); swaks (exit 26), msmtp (exit 69) and smtplib (SMTPDataError) write the whole 16 MiB into
 *   the draining peer, send the dot and read the 552 then.
 * - `then: 'reset'` (RST while the client writes): only nodemailer, which reads while it writes,
 *   surfaces the 552. curl (exit 55), msmtp (exit 74) and smtplib (ECONNRESET) fail in their write and
 *   never read the reply; swaks prints the 552 but then dies of SIGPIPE writing QUIT, so a script sees
 *   a signal, not its exit 26.
 */
import type { Want } from './want.js';

/** What every client does, unless its own table below says otherwise. */
const COMMON: Record<string, Want> = {
  'stall-mid-body': ['timeout', 'body', 'conformant'],
  // A 1 s inactivity timeout fires while the 3 MiB the client already wrote still crosses the slow
  // link. The phase is `body`: the proxy has not yet read the dot that sits in the socket buffers.
  'slow-tail': ['timeout', 'body', 'deviates'],
  'throttled-timeout-shorter': ['delivered', 'quit', 'conformant'],
  'throttled-timeout-longer': ['delivered', 'quit', 'conformant'],
  '552-mid-body-then-close': ['reply', 'body', 'conformant'],
  '552-mid-body-then-reset': ['reset', 'body', 'conformant'],
};

/**
 * nodemailer closes after the 250 without QUIT (phase `dot`), and it reads replies while it streams
 * the body, so it sees the 552 before the RST reaches its write.
 */
const NODEMAILER: Record<string, Want> = {
  'throttled-timeout-shorter': ['delivered', 'dot', 'conformant'],
  'throttled-timeout-longer': ['delivered', 'dot', 'conformant'],
  '552-mid-body-then-reset': ['reply', 'body', 'conformant'],
};

/** Per client: where it differs from COMMON. */
const CLIENT_WANTS: Record<string, Record<string, Want>> = {
  nodemailer: NODEMAILER,
  'nodemailer-pool': NODEMAILER,
  // curl's low-speed check (--speed-limit 1 --speed-time 1) averages over ~5 s: it reports a stall
  // at 7-8 s, and lets the ~5 s wait for the 250 on the slow link pass.
  curl: { 'slow-tail': ['delivered', 'quit', 'conformant'] },
  // swaks' --timeout covers reads only: blocked in write, it hangs until the runner kills it.
  swaks: { 'stall-mid-body': ['hung', 'body', 'deviates'] },
  msmtp: {},
  smtplib: {
    // Python's sendall counts its timeout over the whole body, not per send: after 2 s of a ~4 s
    // transfer that keeps moving it gives up (a global timeout, RFC 5321 §4.5.3.2). It sends the body
    // in one sendall, so the timeout must exceed the whole transfer (the `longer` scenario delivers).
    'throttled-timeout-shorter': ['timeout', 'body', 'deviates'],
  },
};

/** The expectation for a smtp/large scenario id and client. */
export function expectLarge(id: string, client: string): Want | undefined {
  const name = /^smtp\/large\/(.+)$/.exec(id)?.[1] ?? '';
  return CLIENT_WANTS[client]?.[name] ?? COMMON[name];
}
