/** swaks, the SMTP test tool, as a process, the message on stdin. `--timeout` covers reads only. */
import { exitReport, runProcess } from './process.js';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/**
 * swaks's TLS arguments for a job: `--tls` requires STARTTLS, `--tlsc` (`--tls-on-connect`) speaks TLS
 * from the first octet (RFC 8314 §3.3); either fails with exit 29. swaks verifies the certificate only
 * when given `--tls-verify`, against `--tls-ca-path FILE` (the job's CA) or else OpenSSL's default CAs.
 * swaks 20201014 checks the chain, not the host name.
 */
export function swaksTls(job: Pick<SmtpJob, 'tls' | 'ca'>): readonly string[] {
  const mode = job.tls ?? 'none';
  const start = tlsStart(mode);
  if (start === 'none') return [];
  const verify = tlsVerifies(mode) ? ['--tls-verify', ...(job.ca ? ['--tls-ca-path', job.ca] : [])] : [];
  return [start === 'implicit' ? '--tlsc' : '--tls', ...verify];
}

function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const args = [
    '--server',
    job.host,
    '--port',
    String(job.port),
    '--from',
    job.from,
    '--to',
    job.to.join(','),
    '--data',
    '-',
    '--timeout',
    `${Math.max(1, Math.ceil(job.timeouts.socket / 1000))}s`,
    '--silent',
    '2',
    ...swaksTls(job),
  ];
  return runProcess('swaks', args, { stdin: job.message, signal }).then(exitReport);
}

/** swaks. */
export const swaksClient: SmtpClientAdapter = {
  name: 'swaks',
  protocol: 'smtp',
  description: 'swaks, the Swiss Army Knife for SMTP, as a process',
  requires: { command: 'swaks', install: 'apt-get install swaks libnet-ssleay-perl libio-socket-inet6-perl' },
  // swaks(1) EXIT CODES: 2 connect, 6 closed, 21-28 the step that failed, 29 TLS (refused, handshake or certificate), 32 EHLO after TLS.
  exitCodes: {
    2: 'wire',
    6: 'wire',
    21: 'reply',
    22: 'reply',
    23: 'reply',
    24: 'reply',
    25: 'reply',
    26: 'reply',
    27: 'reply',
    28: 'reply',
    29: 'ended',
    32: 'reply',
  },
  // swaks writes CRLF after the data even when it already ends with one, then the dot.
  transforms: (message) => Buffer.concat([message, Buffer.from('\r\n')]),
  run: send,
};
