/**
 * smtp/resets: the connection dies at every phase of a transaction, by RST (the client sees
 * ECONNRESET, Windows' 10054) and by FIN (an orderly close). A conformant client reports a temporary
 * failure for a transaction cut before the server's 250 (RFC 5321 §3.8), reports success for one
 * cut after it, and never delivers twice. The `bdat-` scenarios cut a message sent in BDAT chunks
 * (the mock offers CHUNKING, RFC 3030): a client that sends no BDAT is `n/a` for them.
 */
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { At } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/resets';
const KiB = 1024;
const MESSAGE_BYTES = 1024 * KiB;
/**
 * The mid-body cut's message: more than loopback socket buffers hold, so the client is still writing
 * when the connection dies. With 1 MiB a client could have written all of it, the dot too, before the
 * proxy had read past the cut, and where it was then (body or dot) depended on the machine's load.
 */
const MID_BODY_BYTES = 8 * MESSAGE_BYTES;
/**
 * The cut right after the 354: the RST waits for the client to show it read the 354 (its first body
 * octets), and what has arrived by then is read before it goes. With 1 MiB swaks, under a full test run,
 * had written the whole body and the dot first (reset@dot, not body); so more than loopback buffers
 * hold (~10 MiB), as in ftp/resets, and the client is still writing when the RST comes.
 */
const AFTER_DATA_BYTES = 32 * MESSAGE_BYTES;
/** Message sizes other than MESSAGE_BYTES, by point. */
const POINT_BYTES: Readonly<Record<string, number>> = { 'after-data': AFTER_DATA_BYTES, 'mid-body-64k': MID_BODY_BYTES };

const mustFail: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §3.8: a connection lost before the final 250 is a temporary failure, to be reported, never a success',
};
const deliveredAtDot: Expect = {
  client: 'delivers',
  rule: 'RFC 5321 §4.1.1.4: the 250 after the dot is the server taking responsibility; what happens to the connection afterwards cannot undo it',
};
const deliveredAtQuit: Expect = {
  client: 'delivers',
  rule: 'RFC 5321 §4.1.1.10, §3.8: once the 250 after the dot has arrived the message is delivered; a failure at QUIT must not fail it',
  mustSend: { step: 'QUIT', rule: 'RFC 5321 §3.8: the client MUST NOT intentionally close the channel until it sends QUIT' },
};

/** The points where the connection dies: [scenario name part, trigger, expectation, title]. */
const POINTS: readonly (readonly [string, At, Expect, string])[] = [
  ['on-connect', 'connect', mustFail, 'on connect, before the greeting'],
  ['after-greeting', { after: 'greeting' }, mustFail, 'after the greeting'],
  ['before-ehlo-reply', { before: 'reply', to: 'EHLO' }, mustFail, 'after EHLO, before its reply'],
  ['after-ehlo', { after: 'EHLO' }, mustFail, 'after the EHLO reply'],
  ['after-mail', { after: 'MAIL' }, mustFail, 'after the MAIL FROM reply'],
  ['before-rcpt-reply', { before: 'reply', to: 'RCPT' }, mustFail, 'after RCPT TO, before its reply'],
  ['after-rcpt', { after: 'RCPT' }, mustFail, 'after the RCPT TO reply'],
  ['before-data-reply', { before: 'reply', to: 'DATA' }, mustFail, 'after DATA, before the 354'],
  ['after-data', { after: 'DATA' }, mustFail, "after the DATA command's 354, of a 32 MiB message"],
  ['mid-body-64k', { after: 'DATA', bytes: 64 * KiB }, mustFail, 'mid-body, after 64 KiB of an 8 MiB message'],
  ['after-dot', { before: 'reply', to: 'dot' }, mustFail, 'after the final dot, before the 250 (the duplicate-delivery trap)'],
  ['after-dot-reply', { after: 'dot' }, deliveredAtDot, 'after the 250 that accepts the message'],
  ['after-quit', { before: 'reply', to: 'QUIT' }, deliveredAtQuit, 'after QUIT, before the 221'],
];

const deliveredAtLast: Expect = {
  client: 'delivers',
  rule: 'RFC 3030 §2, RFC 5321 §4.1.1.4: the 250 to BDAT LAST is the server taking responsibility; what happens to the connection afterwards cannot undo it',
};

/** The points in a BDAT transaction (RFC 3030): the same idea as POINTS, with chunks in place of DATA. */
const BDAT_POINTS: readonly (readonly [string, At, Expect, string])[] = [
  ['bdat-mid-chunks-64k', { after: 'BDAT', bytes: 64 * KiB }, mustFail, 'mid-chunks, after 64 KiB of BDAT chunk data of an 8 MiB message'],
  ['bdat-before-last-reply', { before: 'reply', to: 'BDAT LAST' }, mustFail, 'after BDAT LAST and its chunk, before the 250 (the duplicate-delivery trap)'],
  ['bdat-after-last-reply', { after: 'BDAT LAST' }, deliveredAtLast, 'after the 250 to BDAT LAST that accepts the message'],
];

/** The RST (or FIN) scenario at one point: `bytes` the message's size; `knobs` what server and client must offer. */
function cutAt(
  kind: 'reset' | 'close',
  [name, at, expect, title]: readonly [string, At, Expect, string],
  bytes: number,
  knobs: Pick<SmtpScenario, 'server' | 'needs'> = {},
): SmtpScenario {
  return {
    id: `${SUITE}/${kind}-${name}`,
    suite: SUITE,
    protocol: 'smtp',
    title: `${kind === 'reset' ? 'RST' : 'FIN'} ${title}`,
    fault: { kind, at },
    expect,
    messageBytes: bytes,
    ...knobs,
  };
}

const scenarios: SmtpScenario[] = (['reset', 'close'] as const).flatMap((kind) => [
  ...POINTS.map((p) => cutAt(kind, p, POINT_BYTES[p[0]] ?? MESSAGE_BYTES)),
  ...BDAT_POINTS.map((p) => cutAt(kind, p, p[0] === 'bdat-mid-chunks-64k' ? MID_BODY_BYTES : MESSAGE_BYTES, { server: { chunking: 'on' }, needs: 'bdat' })),
]);

export const resets: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'RST and FIN at every phase of an SMTP transaction',
  scenarios,
};
