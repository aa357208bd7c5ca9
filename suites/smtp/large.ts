/**
 * smtp/large: large messages on a slow link, a server that stops reading mid-body, and a server that
 * answers 552 mid-body and goes away while the client is still writing. Every delivered message is
 * checked at the sink by size and SHA-256.
 *
 * Scaled to run for every client in CI: ~37 s for all six, 4 runs at a time (43-45 s with a second
 * run loading the machine); swaks' hang (11 s) and curl's stall detection (8-9 s) are most of it.
 * A throttle is about ratios, and the socket buffers do not scale (~5 MiB written and unread between
 * client and proxy on loopback here, measured), so the issue's "50 MiB at 2 MiB/s, 10 s timeout"
 * (25 s of transfer, 2.5x the timeout; ~3 s to drain the buffers, 0.3x) becomes 50 MiB at 12 MiB/s
 * with a 2 s timeout. The throttle holds that rate on average however late its timers fire under load
 * (src/faults/throttle.ts), so the body takes ~4.2 s, 2x the timeout, and the buffers drain in ~0.4 s.
 * What is left of the timeout after the drain is the server's time to answer the dot: nothing for the
 * mock, but a real MTA writes the 50 MiB to its queue first (Postfix answered 0.55 s after the dot on a
 * loaded machine), so with 1 s at 24 MiB/s the cell read `timeout` on Postfix and Exim now and then.
 * Curl, swaks and msmtp count whole seconds.
 *
 * - Throttled, timeout shorter than the transfer: bytes keep moving, so a per-operation timeout
 *   (RFC 5321 §4.5.3.2: per command, per TCP SEND of the DATA block) does not fire. A timeout that
 *   bounds the whole send does: Python's `sendall` counts its timeout over the entire body.
 * - Throttled, timeout longer than the transfer: the control; every client delivers.
 * - Slow tail: a 3 MiB message fits in the socket buffers, so the client's last write returns at once
 *   and its wait for the 250 (RFC 5321 §4.5.3.2.6) begins while the whole body still crosses a
 *   640 KiB/s link (~5 s). A 1 s inactivity timeout fires although nothing is stuck; at full scale,
 *   a 10 s timeout and more in the buffers than the uplink carries in 10 s. The runner closes the
 *   proxy 1 s after the client reports, so the sink never gets the rest; a real server would, and a
 *   retry would deliver twice. (5 s stays under curl's ~6.7 s low-speed window, and well after the
 *   runner's close, so the outcome does not depend on timing.)
 * - Stall: the proxy stops reading after 1 MiB of a 48 MiB body, so the client's writes block once
 *   the buffers are full. Linux lets the receive buffer of a socket nobody reads grow to tcp_rmem's
 *   maximum (32 MiB on this machine kind, 6 MiB by default) beside the sender's (tcp_wmem's, 4 MiB):
 *   with a 16 MiB body the client's writes now and then all went into the kernel, and swaks, whose
 *   timeout covers only reads, then timed out on the reply instead of hanging in its write. Timeout 1 s;
 *   deadline 11 s, because curl's low-speed check averages over ~5 s and reports at 7-8 s. 48 MiB stays
 *   under a real MTA's usual 50 MB limit (Exim's here), so it runs against them too.
 * - 552 mid-body: after 1 MiB of a 16 MiB body the proxy answers `552 5.3.4` in the server's place,
 *   then sends a FIN and keeps reading and discarding (`then: 'close'`), or sends an RST (`then:
 *   'reset'`, what a server's kernel sends when it closes with unread input). Either is a failure to
 *   report; what differs is whether the client surfaces the 552 or the broken connection.
 */
import type { Timeouts } from '../../src/clients/types.js';
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/large';
const KiB = 1024;
const MiB = 1024 * KiB;

/** The proxy's answer in the server's place, mid-body (RFC 5321 §4.2.2; RFC 3463 5.3.4 message too big). */
const SIZE_REPLY = { code: 552, text: '5.3.4 Message size exceeds fixed maximum message size' } as const;

const deliversWhileMoving: Expect = {
  client: 'delivers',
  rule: 'RFC 5321 §4.5.3.2: timeouts are per command, and in the DATA block per TCP SEND call (3 minutes each), not over the whole transfer; a slow link that keeps moving is not a failure',
};
const deliversAfterTail: Expect = {
  client: 'delivers',
  rule: 'RFC 5321 §4.5.3.2.6: wait for the 250 after the dot at least 10 minutes, a spurious timeout there leads to duplicate deliveries; the last write returning does not mean the server has the body',
};
const failsNotHangs: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §4.5.3.2: an SMTP client MUST provide a timeout mechanism, for the DATA block too; a server that stops reading is a temporary failure to report (§3.8), not a hang',
};
const failsOn552: Expect = {
  client: 'fails',
  rule: 'RFC 5321 §4.2.2, §3.8: a 552 (exceeded storage allocation) or a connection lost before the final 250 is a failure to report, never a success',
};

function scenario(name: string, title: string, fault: Fault, expect: Expect, messageBytes: number, timeouts: Partial<Timeouts>): SmtpScenario {
  // Tens of MiB each, throttled or against 1-2 s timeouts: apart, so the machine's load cannot decide it.
  return { id: `${SUITE}/${name}`, suite: SUITE, protocol: 'smtp', title, fault, expect, messageBytes, timeouts, schedule: 'apart' };
}

const throttle = (bytesPerSecond: number): Fault => ({ kind: 'throttle', bytesPerSecond, at: 'connect', toward: 'server' });

/** Longest first: with 4 runs at a time, the short ones fill in behind. */
const scenarios: SmtpScenario[] = [
  scenario(
    'stall-mid-body',
    'the server stops reading after 1 MiB of a 48 MiB body (more than the kernel buffers): the client blocks in write; timeout 1 s',
    { kind: 'stall', at: { after: 'DATA', bytes: MiB } },
    failsNotHangs,
    48 * MiB,
    { socket: 1_000, deadline: 11_000 },
  ),
  scenario(
    'slow-tail',
    '3 MiB at 640 KiB/s: all written into socket buffers at once, then ~5 s until the 250; timeout 1 s',
    throttle(640 * KiB),
    deliversAfterTail,
    3 * MiB,
    { socket: 1_000, deadline: 15_000 },
  ),
  scenario(
    'throttled-timeout-shorter',
    '50 MiB throttled to 12 MiB/s (~4 s), socket timeout 2 s: shorter than the transfer, but bytes keep moving',
    throttle(12 * MiB),
    deliversWhileMoving,
    50 * MiB,
    { socket: 2_000, deadline: 20_000 },
  ),
  scenario(
    'throttled-timeout-longer',
    '50 MiB throttled to 12 MiB/s (~4 s), socket timeout 10 s: longer than the transfer',
    throttle(12 * MiB),
    deliversWhileMoving,
    50 * MiB,
    { socket: 10_000, deadline: 20_000 },
  ),
  scenario(
    '552-mid-body-then-close',
    '552 after 1 MiB of a 16 MiB body, then FIN; the rest of the body is read and dropped',
    { kind: 'reply', ...SIZE_REPLY, at: { after: 'DATA', bytes: MiB }, then: 'close' },
    failsOn552,
    16 * MiB,
    { socket: 2_000, deadline: 8_000 },
  ),
  scenario(
    '552-mid-body-then-reset',
    '552 after 1 MiB of a 16 MiB body, then RST while the client is still writing',
    { kind: 'reply', ...SIZE_REPLY, at: { after: 'DATA', bytes: MiB }, then: 'reset' },
    failsOn552,
    16 * MiB,
    { socket: 2_000, deadline: 8_000 },
  ),
];

/** smtp/large: a throttled 50 MiB transfer against short and long timeouts, a slow tail, a stall and a 552 mid-body. */
export const large: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'large messages: a throttled link against client timeouts, a server that stops reading, a 552 mid-body',
  scenarios,
};
