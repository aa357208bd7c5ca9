/**
 * smtp/framing: TCP is a byte stream, so replies may arrive split anywhere or several in one segment
 * (RFC 2920 §3.2), with bare LF from broken servers; and a client must dot-stuff lines that start
 * with a dot (RFC 5321 §4.5.2). A conformant client delivers the message intact through all of it
 * (the sink checks size and SHA-256), ends its own lines with CRLF only, and waits for the replies
 * RFC 2920 §3.1 says to wait for (EHLO, DATA, QUIT...): the proxy checks both on the wire.
 */
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/framing';
const MESSAGE_BYTES = 64 * 1024;

const delivers: Expect = {
  client: 'delivers',
  rule: 'RFC 5321 §2.3.8, §4.2: replies are framed by line endings, not by how TCP segments them; the message arrives intact',
  // And the client's own framing: CRLF only, and no command pipelined past EHLO, DATA or QUIT.
  wellFormed: true,
};

/** [name, title, fault or none, message shape]. */
const CASES: readonly (readonly [string, string, Fault | undefined, SmtpScenario['message']])[] = [
  ['replies-byte-by-byte', 'every reply written one byte at a time', { kind: 'slice', size: 1, gapMs: 1, at: 'connect' }, 'plain'],
  ['replies-split-at-odd-points', 'replies (the multi-line EHLO too) in 7-byte pieces', { kind: 'slice', size: 7, gapMs: 2, at: 'connect' }, 'plain'],
  ['replies-coalesced', 'replies held and written together every 40 ms', { kind: 'coalesce', ms: 40, at: 'connect' }, 'plain'],
  ['replies-bare-lf', 'every reply line ended by a bare LF', { kind: 'lf', at: 'connect' }, 'plain'],
  ['dot-stuffing', 'a message whose lines start with dots, a lone dot among them', undefined, 'dots'],
];

const scenarios: SmtpScenario[] = CASES.map(([name, title, fault, message]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp',
  title,
  ...(fault ? { fault } : {}),
  expect:
    name === 'dot-stuffing'
      ? { ...delivers, rule: 'RFC 5321 §4.5.2: the client doubles a leading dot; the server removes it; the message arrives intact' }
      : delivers,
  messageBytes: MESSAGE_BYTES,
  message,
}));

export const framing: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'replies fragmented, coalesced and with bare LF; dot-stuffing',
  scenarios,
};
