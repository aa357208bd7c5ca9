/**
 * ftp/tls: FTPS (RFC 4217) with a client that requires it and verifies the server. The mock speaks
 * FTPS; the proxy terminates TLS on the control connection and on each protected data connection (a
 * certificate from the run's private CA toward the client), so faults act inside TLS. A clean upload over
 * AUTH TLS and over implicit TLS delivers; a fatal alert to the ClientHello fails; a server that
 * insists a data connection resumes the control connection's TLS session (vsftpd's default) shows
 * which clients do; RSTs inside TLS on the control and on the protected data connection fail; and
 * when the server offers no FTPS or refuses PROT P, a client that requires TLS must stop rather than
 * log in or move the file in clear text.
 */
import type { TlsMode } from '../../src/clients/types.js';
import type { Expect, FtpScenario, FtpServerKnobs } from '../../src/engine/types.js';
import type { Channel, Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'ftp/tls';
const KiB = 1024;
const FILE_BYTES = 1024 * KiB;

const delivers: Expect = {
  client: 'delivers',
  rule: 'RFC 4217 §4, §9: after the 234 to AUTH TLS and a completed handshake, PBSZ 0 and PROT P protect the data connection, and the upload completes with the 226',
};
const resumes: Expect = {
  client: 'delivers',
  rule: "RFC 4217 §10.2: a server may insist that a data connection's TLS session is the control connection's, resumed (522 when it is not), to know both come from the same client; a client that resumes it transfers",
};
const alertFails: Expect = {
  client: 'fails',
  rule: 'RFC 8446 §6.2: a fatal alert ends the handshake and the connection; the client must report a failure, and not go on, in particular not log in in clear text (RFC 4217 §4)',
};
const cutFails: Expect = {
  client: 'fails',
  rule: 'RFC 959 §4.2: only the 226 says the file is stored; a connection lost inside TLS before it is a failure to report, as in clear text',
};
const dataCut: Expect = {
  client: 'fails',
  rule: 'RFC 959 §3.4.1: in stream mode the end of the file is the closing of the data connection; a protected data connection reset mid-transfer is a failure the client must report, whatever the server says',
};
const noAuthFails: Expect = {
  client: 'fails',
  rule: 'RFC 4217 §4: AUTH TLS refused, the session is in clear text; a client whose policy requires TLS must not go on in clear text (no USER or PASS, no file); it reports a failure',
  // PASS, not USER: lftp, stopping at FEAT, now and then has its USER on the wire already, after its QUIT.
  neverSends: {
    steps: ['PASS'],
    rule: 'RFC 4217 §4: with AUTH TLS refused, a client whose policy requires TLS must not send its password in clear text',
  },
};
const noProtFails: Expect = {
  client: 'fails',
  rule: 'RFC 4217 §9: a client that requires protected data and is refused PROT P must not move the file over a clear data connection; it reports a failure',
};

interface Case {
  readonly name: string;
  readonly title: string;
  readonly expect: Expect;
  readonly tls?: TlsMode;
  readonly fault?: Fault;
  readonly server?: FtpServerKnobs;
  readonly bytes?: number;
}

/** A fault on `channel` (default control) at `at`. */
const reset = (at: Fault['at'], channel?: Channel): Fault => ({ kind: 'reset', at, ...(channel ? { channel } : {}) });

const CASES: readonly Case[] = [
  { name: 'clean', title: 'AUTH TLS, PROT P, no fault (the baseline)', expect: delivers },
  { name: 'clean-implicit', title: 'implicit FTPS (TLS from the first octet, port 990 style), no fault', expect: delivers, tls: 'implicit-verify' },
  {
    name: 'reuse-required',
    title: "the server requires each data connection to resume the control connection's TLS session (vsftpd require_ssl_reuse)",
    expect: resumes,
    server: { requireTlsReuse: true },
  },
  { name: 'reset-handshake', title: 'RST during the TLS handshake, after the 234 to AUTH TLS', expect: cutFails, fault: reset({ after: 'AUTH' }) },
  {
    name: 'alert-handshake',
    title: 'a fatal handshake_failure alert to the ClientHello, after the 234 to AUTH TLS',
    expect: alertFails,
    fault: { kind: 'alert', at: { before: 'handshake' } },
  },
  { name: 'reset-after-pass-inside', title: 'RST after the 230 to PASS, inside TLS', expect: cutFails, fault: reset({ after: 'PASS' }) },
  {
    name: 'reset-data-mid-stor',
    title: 'RST on the protected data connection after 256 KiB of a 32 MiB upload',
    expect: dataCut,
    fault: reset({ after: 'STOR', bytes: 256 * KiB }, 'data'),
    // More than loopback buffers hold (~10 MiB): the client is still writing when the cut comes (as ftp/resets).
    bytes: 32 * FILE_BYTES,
  },
  {
    name: 'no-ftps',
    title: 'the server offers no FTPS (AUTH answered 502): the client must not log in in clear text',
    expect: noAuthFails,
    server: { ftps: 'off' },
  },
  { name: 'prot-p-refused', title: 'PROT P refused (534): the client must not move the file in clear text', expect: noProtFails, server: { protP: 'refuse' } },
];

const scenarios: FtpScenario[] = CASES.map((c) => ({
  id: `${SUITE}/${c.name}`,
  suite: SUITE,
  protocol: 'ftp' as const,
  title: c.title,
  ...(c.fault ? { fault: c.fault } : {}),
  expect: c.expect,
  messageBytes: c.bytes ?? FILE_BYTES,
  ftp: { direction: 'upload' as const },
  tls: c.tls ?? 'starttls-verify',
  ...(c.server ? { server: c.server } : {}),
  timeouts: { socket: 3_000, deadline: 15_000 },
}));

export const tls: Suite = {
  name: SUITE,
  protocol: 'ftp',
  description:
    'FTPS: AUTH TLS and implicit uploads, session reuse required on data connections, RSTs in the handshake, inside TLS and on a protected data connection, a fatal alert to the ClientHello, no FTPS offered or PROT P refused (no clear-text fallback)',
  scenarios,
};
