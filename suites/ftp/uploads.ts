/**
 * ftp/uploads: large uploads meet slow links and timeouts. A throttled link that keeps moving, with
 * client timeouts shorter than the whole transfer; the server's idle timeout while the control
 * connection sits idle during a long transfer (it must not count, RFC 959 §5.4 says nothing of it but
 * every server exempts transfers: ftp-srv#387 is the bug where it did not); a firewall or server that
 * kills the control connection with 421 mid-transfer; a sink that stops reading; a reset mid-upload
 * that a client able to resume (SIZE, then REST+STOR or APPE, RFC 3659 §4-5) recovers from. Every
 * upload reported complete is checked at the server by size and SHA-256.
 *
 * The 200 MiB is scaled down to 32 MiB at 8 MiB/s (4 s a transfer) to keep CI short; the
 * ratios (transfer time over the client's 2 s inactivity timeout, over the server's 2 s idle timeout)
 * are kept. The size is an input (the CLI reads WIREPROBE_FTP_UPLOAD_MIB): 200 runs the full size (25 s a
 * transfer; the deadline grows with it). Timeouts of 1 s were measured too tight for a loaded 2-core machine: a busy proxy can
 * leave a data link still for a second now and then, which a 1 s client timeout rightly reports. Two full test
 * runs at once on 2 cores starve even 2 s: the mock once took 1.5 s to answer PASS, and curl timed out at login.
 */
import type { Expect, FtpScenario } from '../../src/engine/types.js';
import type { Suite } from '../types.js';

const SUITE = 'ftp/uploads';
const MiB = 1024 * 1024;
/** The upload size by default, MiB. */
export const DEFAULT_UPLOAD_MIB = 32;
const RATE = 8 * MiB;
/** The clients' inactivity timeout and the server's idle timeout. */
const TIMEOUT_MS = 2_000;

const keepsGoing: Expect = {
  client: 'delivers',
  rule: 'A link that keeps moving is no timeout: an inactivity timeout must measure inactivity, not the whole transfer',
};

/**
 * The upload in control-killed-421, at least: what is left after its cut at 8 MiB must outgrow both
 * ends' socket buffers, so a client still writing meets the RST in its write. Linux autotunes a receive
 * buffer up to tcp_rmem's maximum, 32 MiB on this machine kind (6 MiB by default), and a send buffer up
 * to 4 MiB: with 32 MiB, Java's Commons Net once had its whole upload written and read the 421 instead.
 */
const KILLED_MIN_BYTES = 80 * MiB;

/** The client's inactivity timeout in resume-after-reset, ms. */
const RESUME_TIMEOUT_MS = 10_000;

/** The suite with uploads of `sizeMib` MiB (a whole number from 1 to 1024, checked by the CLI). */
export function uploads(sizeMib: number = DEFAULT_UPLOAD_MIB): Suite {
  const fileBytes = sizeMib * MiB;
  const common = {
    suite: SUITE,
    protocol: 'ftp' as const,
    messageBytes: fileBytes,
    ftp: { direction: 'upload' as const },
    // 4 s a transfer at 32 MiB, and room for a resume or a retry.
    timeouts: { connect: 2_000, greeting: 2_000, socket: TIMEOUT_MS, deadline: Math.max(30_000, Math.ceil((fileBytes / RATE) * 7_500)) },
    // Tens of MiB against 2 s timeouts, throttled or stalled: apart, so the machine's load cannot decide it.
    schedule: 'apart' as const,
  };

  const scenarios: FtpScenario[] = [
    {
      ...common,
      id: `${SUITE}/throttled`,
      title: `${sizeMib} MiB through an 8 MiB/s data link, client inactivity timeout 2 s`,
      fault: { kind: 'throttle', bytesPerSecond: RATE, at: 'connect', channel: 'data', toward: 'server' },
      expect: keepsGoing,
    },
    {
      ...common,
      id: `${SUITE}/server-idle-timeout`,
      title: 'the same, and the server closes control connections idle for 2 s (not during a transfer)',
      fault: { kind: 'throttle', bytesPerSecond: RATE, at: 'connect', channel: 'data', toward: 'server' },
      server: { idleTimeoutMs: TIMEOUT_MS },
      expect: {
        client: 'delivers',
        rule: 'A control connection is idle by design during a transfer; a server idle timeout must not count it (ftp-srv#387)',
      },
    },
    {
      ...common,
      id: `${SUITE}/control-killed-421`,
      title: '421 and a close on the control connection after 8 MiB went over the data connection',
      messageBytes: Math.max(fileBytes, KILLED_MIN_BYTES),
      fault: {
        kind: 'reply',
        code: 421,
        text: 'Idle timeout, closing control connection',
        at: { after: 'STOR', bytes: 8 * MiB },
        channel: 'control',
        then: 'close',
      },
      expect: {
        client: 'fails',
        rule: 'RFC 959 §4.2: 421 closes the control connection; without the 226 the upload must be reported failed',
      },
    },
    {
      ...common,
      id: `${SUITE}/stalled-sink`,
      title: 'the server stops reading after 1 MiB: the data connection stalls',
      fault: { kind: 'stall', at: { after: 'STOR', bytes: MiB }, channel: 'data' },
      expect: { client: 'fails', rule: 'A transfer that makes no progress must end in a reported timeout, not a hang' },
    },
    {
      ...common,
      id: `${SUITE}/resume-after-reset`,
      title: 'RST on the data connection after 4 MiB of the first attempt; the client resumes once',
      fault: { kind: 'reset', at: { after: 'STOR', bytes: 4 * MiB }, channel: 'data', connection: 1 },
      ftp: { direction: 'upload', resume: true },
      // The RST ends the first attempt, not a timeout: a client waiting 10 s for a reply leaves a loaded
      // machine's stalls no say in it. With 2 s, basic-ftp's control-connection timeout fired once before
      // the first upload began, under two full test runs on 2 cores, and the resume was never tried.
      timeouts: { ...common.timeouts, socket: RESUME_TIMEOUT_MS },
      expect: {
        client: 'delivers',
        rule: "RFC 3659 §4-5: SIZE tells where the server's file ends and REST+STOR (or APPE) goes on from there; the file must end up whole",
      },
    },
  ];

  return {
    name: SUITE,
    protocol: 'ftp',
    description:
      'large uploads: a throttled link vs client and server timeouts, the control connection killed mid-transfer, a stalled sink, resume after a reset',
    scenarios,
  };
}
