/**
 * smtp/tls: STARTTLS (RFC 3207) with a client that requires it. A clean upgrade delivers; when the
 * server refuses it (454), a man in the middle strips it from the EHLO reply, an RST cuts the handshake,
 * a fatal alert refuses it, or the certificate does not verify, a client that requires TLS reports a failure and never sends the
 * message (nor AUTH) in clear. The mock server offers STARTTLS
 * with a self-signed certificate; the proxy terminates TLS on both legs (a certificate from the run's
 * private CA toward the client), so faults also act on the conversation inside TLS.
 */
import type { TlsMode } from '../../src/clients/types.js';
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

/** The certificates the proxy can present (src/tls/ca.ts). */
type CertificateKind = NonNullable<SmtpScenario['certificate']>;

const SUITE = 'smtp/tls';
const MESSAGE_BYTES = 16 * 1024;

const delivers: Expect = {
  client: 'delivers',
  rule: 'RFC 3207 §4: after the 220 to STARTTLS and a completed handshake the session starts over in TLS and the message is delivered',
};
/** What a client that requires TLS must not send once TLS is off the table: it would go in clear. */
const inClear: NonNullable<Expect['neverSends']> = {
  steps: ['AUTH', 'MAIL'],
  rule:
    'RFC 3207 §4: without TLS the client decides whether to go on, and one told to require it must not send AUTH or MAIL in clear; ' +
    'RFC 8314 §5.2: a mail client configured to require a minimum level of confidentiality MUST NOT attempt any operation other than capability discovery or STARTTLS unless the connection provides that level',
};
const refusedFails: Expect = {
  client: 'fails',
  rule: 'RFC 3207 §4: after a 454 to STARTTLS the client decides whether to go on; one that requires TLS must report a failure, never send the message in clear',
  neverSends: inClear,
};
const strippedFails: Expect = {
  client: 'fails',
  rule: 'RFC 3207 §6: a STARTTLS removed from the EHLO reply (a man in the middle) must not talk a client that requires TLS into clear text; it reports a failure',
  neverSends: inClear,
};
const cutFails: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §3.8: a connection lost during the TLS handshake, before any transaction, is a failure to report, never a success',
};
const insideResetFails: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §3.8: a connection reset inside TLS, mid-transaction, is a failure to report, as in clear (RFC 3207 §4.2: the session inside TLS is an SMTP session)',
};
const insideCloseFails: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §3.8: a connection closed inside TLS before the message was accepted is a failure to report, never a success',
};
const truncatedFails: Expect = {
  client: 'fails',
  rule: 'RFC 8446 §6.1: a FIN without close_notify is a truncation, not a clean end; RFC 5321 §3.8: a connection lost before the final 250 is a failure to report',
};
const legacyFails: Expect = {
  client: 'fails',
  rule: 'RFC 8996 §2: TLS 1.0 MUST NOT be used; a client shown only TLS 1.0 must refuse it and report a failure, never send the message over it',
};
const alertFails: Expect = {
  client: 'fails',
  rule: 'RFC 8446 §6.2: a fatal alert ends the handshake and the connection; the client must report a failure, and not go on, in particular not in clear text (RFC 3207 §4)',
  neverSends: inClear,
};
const rejectFails: Expect = {
  client: 'fails',
  rule: "RFC 3207 §4.1: a client that cannot trust the server's certificate must not go on with the transaction; it reports a failure",
};

/** The scenarios: [name, how the client uses TLS, fault (none: a clean conversation), expectation, title, the proxy's certificate]. */
const CASES: readonly (readonly [string, TlsMode, Fault | undefined, Expect, string, CertificateKind?])[] = [
  ['clean', 'starttls', undefined, delivers, 'STARTTLS, no fault (the baseline)'],
  [
    'refused-454',
    'starttls',
    { kind: 'reply', code: 454, text: '4.7.0 TLS not available due to temporary reason', at: { before: 'STARTTLS' }, then: 'continue' },
    refusedFails,
    'STARTTLS advertised but refused with 454',
  ],
  [
    'stripped',
    'starttls',
    { kind: 'strip', keyword: 'STARTTLS', at: { before: 'reply', to: 'EHLO' } },
    strippedFails,
    'STARTTLS removed from the EHLO reply (STARTTLS stripping)',
  ],
  ['reset-handshake', 'starttls', { kind: 'reset', at: { after: 'STARTTLS' } }, cutFails, 'RST during the TLS handshake, after the 220 to STARTTLS'],
  ['cert-rejected', 'starttls-verify', undefined, rejectFails, 'a self-signed certificate the client verifies and rejects', 'self-signed'],
  ['reset-after-mail-inside', 'starttls', { kind: 'reset', at: { after: 'MAIL' } }, insideResetFails, 'RST after the reply to MAIL, inside TLS'],
  [
    'close-after-mail-inside',
    'starttls',
    { kind: 'close', at: { after: 'MAIL' }, then: 'discard' },
    insideCloseFails,
    'FIN after the reply to MAIL, inside TLS',
  ],
  ['reset-before-handshake', 'starttls', { kind: 'reset', at: { before: 'handshake' } }, cutFails, 'RST to the ClientHello, after the 220 to STARTTLS'],
  ['close-before-handshake', 'starttls', { kind: 'close', at: { before: 'handshake' } }, cutFails, 'FIN to the ClientHello, after the 220 to STARTTLS'],
  [
    'alert-handshake',
    'starttls',
    { kind: 'alert', at: { before: 'handshake' } },
    alertFails,
    'a fatal handshake_failure alert to the ClientHello, after the 220 to STARTTLS',
  ],
  ['truncate-after-rcpt-inside', 'starttls', { kind: 'truncate', at: { after: 'RCPT' } }, truncatedFails, 'FIN without close_notify after the reply to RCPT'],
];

const scenarios: SmtpScenario[] = CASES.map(([name, tls, fault, expect, title, certificate]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp' as const,
  title,
  ...(fault ? { fault } : {}),
  expect,
  messageBytes: MESSAGE_BYTES,
  tls,
  ...(certificate ? { certificate } : {}),
}));

/**
 * The same refusal and stripping, with a server that requires AUTH and clients given its login: AUTH
 * must not go in clear either (the credentials are the point of TLS here). Clients that cannot be given
 * a login are `n/a`.
 */
for (const [name, base] of [
  ['refused-454-auth', 'refused-454'],
  ['stripped-auth', 'stripped'],
] as const) {
  const like = scenarios.find((s) => s.id === `${SUITE}/${base}`)!;
  scenarios.push({ ...like, id: `${SUITE}/${name}`, title: `${like.title}, AUTH required`, server: { auth: 'required' } });
}

scenarios.push({
  id: `${SUITE}/tls10-only`,
  suite: SUITE,
  protocol: 'smtp',
  title: 'the proxy offers only TLS 1.0 (RFC 8996 deprecates it)',
  expect: legacyFails,
  messageBytes: MESSAGE_BYTES,
  tls: 'starttls',
  tlsVersion: '1.0',
});

export const tls: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description:
    'STARTTLS: a clean upgrade, refused with 454, stripped from the EHLO reply (with AUTH too), an RST during the handshake, a certificate the client rejects, an RST and a FIN inside TLS, the handshake cut, a fatal alert to the ClientHello, a truncation, TLS 1.0 only',
  scenarios,
};
