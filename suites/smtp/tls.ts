/**
 * smtp/tls: STARTTLS (RFC 3207) with a client that requires it. A clean upgrade delivers; when the
 * server refuses it (454), an RST cuts the handshake, or the certificate does not verify, a client that
 * requires TLS reports a failure and never sends the message in clear. The mock server offers STARTTLS
 * with a self-signed certificate; the proxy relays the TLS bytes untouched.
 */
import type { TlsMode } from '../../src/clients/types.js';
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/tls';
const MESSAGE_BYTES = 16 * 1024;

const delivers: Expect = {
  client: 'delivers',
  rule: 'RFC 3207 §4: after the 220 to STARTTLS and a completed handshake the session starts over in TLS and the message is delivered',
};
const refusedFails: Expect = {
  client: 'fails',
  rule: 'RFC 3207 §4: after a 454 to STARTTLS the client decides whether to go on; one that requires TLS must report a failure, never send the message in clear',
};
const cutFails: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §3.8: a connection lost during the TLS handshake, before any transaction, is a failure to report, never a success',
};
const rejectFails: Expect = {
  client: 'fails',
  rule: "RFC 3207 §4.1: a client that cannot trust the server's certificate must not go on with the transaction; it reports a failure",
};

/** The scenarios: [name, how the client uses TLS, fault (none: a clean conversation), expectation, title]. */
const CASES: readonly (readonly [string, TlsMode, Fault | undefined, Expect, string])[] = [
  ['clean', 'starttls', undefined, delivers, 'STARTTLS, no fault (the baseline)'],
  [
    'refused-454',
    'starttls',
    { kind: 'reply', code: 454, text: '4.7.0 TLS not available due to temporary reason', at: { before: 'STARTTLS' }, then: 'continue' },
    refusedFails,
    'STARTTLS advertised but refused with 454',
  ],
  ['reset-handshake', 'starttls', { kind: 'reset', at: { after: 'STARTTLS' } }, cutFails, 'RST during the TLS handshake, after the 220 to STARTTLS'],
  ['cert-rejected', 'starttls-verify', undefined, rejectFails, 'a self-signed certificate the client verifies and rejects'],
];

const scenarios: SmtpScenario[] = CASES.map(([name, tls, fault, expect, title]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp' as const,
  title,
  ...(fault ? { fault } : {}),
  expect,
  messageBytes: MESSAGE_BYTES,
  tls,
}));

export const tls: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'STARTTLS: a clean upgrade, refused with 454, an RST during the handshake, a certificate the client rejects',
  scenarios,
};
