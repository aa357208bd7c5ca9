/**
 * basic-ftp, in process: access() (connect, USER/PASS, FEAT, TYPE I...), one uploadFrom or downloadTo,
 * close(). Passive only: EPSV, then PASV to the control connection's host. With `resume`, a failed
 * upload gets one more session: SIZE, then APPE of the bytes the server lacks (basic-ftp has no REST for
 * uploads; its `localStart` only applies to local files).
 *
 *   session: new Client(socket timeout) ─► access ─► uploadFrom | downloadTo ─► close (QUIT, no wait)
 *                 └ failed upload, resume ─► session: size ─► appendFrom(rest) (uploadFrom if SIZE gave 0)
 */
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type AccessOptions, Client, FTPError, type FTPContext, type FTPResponse, type TransferStrategy } from 'basic-ftp';
// Not re-exported by the package index; the same functions the Client uses by default.
import { enterPassiveModeIPv4_forceControlHostIP, enterPassiveModeIPv6 } from 'basic-ftp/dist/transfer.js';
import { Digester } from '../util/digest.js';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import type { ClientError, ClientReport, FtpClientAdapter, FtpJob } from './types.js';

/** The basic-ftp method a session was in when it failed (ClientError.command). */
type Step = 'access' | 'uploadFrom' | 'downloadTo' | 'size' | 'appendFrom';

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ClientError };

/**
 * basic-ftp reports timeouts and a server's FIN with a plain Error and no code (FtpContext.js), and a
 * later task on a closed client gets "Client is closed because <reason>" with code "0". Only the text
 * tells them apart, so it is read here, once, and turned into codes: `ETIMEDOUT`, and `ECLOSED` for a
 * control connection the server ended without an error (FIN, or a close without error).
 */
const TEXT_CODES: ReadonlyArray<readonly [RegExp, string]> = [
  [/Timeout \((control|data) socket\)|Timeout when trying to open data connection/, 'ETIMEDOUT'],
  [/Server sent FIN packet unexpectedly|Server closed connection unexpectedly/, 'ECLOSED'],
];

/**
 * Reduces a basic-ftp error to codes: an FTPError's reply code (`responseCode`), a socket error's Node
 * code (ECONNRESET, EPIPE, ECONNREFUSED...) in `code`, else ETIMEDOUT or ECLOSED from the text.
 */
export function basicFtpError(error: unknown, command?: string): ClientError {
  const at = command === undefined ? {} : { command };
  if (error instanceof FTPError) return { responseCode: error.code, ...at, message: error.message };
  const e = error as NodeJS.ErrnoException | undefined;
  const message = e?.message ?? String(error);
  const own = typeof e?.code === 'string' && e.code !== '0' ? e.code : undefined;
  const code = own ?? TEXT_CODES.find(([pattern]) => pattern.test(message))?.[1];
  return { ...(code === undefined ? {} : { code }), ...at, message };
}

/**
 * basic-ftp's own fallback, with the same commands on the wire: EPSV, else PASV to the control host, and
 * the one that works is kept for later transfers. The library's version throws a plain "None of the
 * available transfer strategies work" Error for every failure here (reset, FIN, timeout, 5xx, refused
 * data port), dropping the reply or socket code; this one rethrows the last strategy's error as is.
 */
function passiveFallback(client: Client): TransferStrategy {
  return async (ftp: FTPContext): Promise<FTPResponse> => {
    let last: unknown;
    for (const strategy of [enterPassiveModeIPv6, enterPassiveModeIPv4_forceControlHostIP]) {
      try {
        const response = await strategy(ftp);
        client.prepareTransfer = strategy;
        return response;
      } catch (error) {
        last = error;
      }
    }
    throw last;
  };
}

/**
 * access()'s TLS options for the job's mode. `starttls`: AUTH TLS, then PBSZ 0 and PROT P (RFC 4217 §4,
 * §9; basic-ftp's useDefaultSettings), certificate not checked; `implicit`: TLS from the first octet
 * (basic-ftp `secure: 'implicit'`). A `-verify` mode checks the certificate and its name against the
 * job's CA file (else the system's CAs). basic-ftp resumes the control connection's TLS session on
 * each data connection (tls.connect `session`, the newest ticket it was given), as vsftpd's
 * require_ssl_reuse asks.
 */
async function tlsAccess(job: FtpJob): Promise<Pick<AccessOptions, 'secure' | 'secureOptions'>> {
  const mode = job.tls ?? 'none';
  const start = tlsStart(mode);
  if (start === 'none') return { secure: false };
  const verify = tlsVerifies(mode);
  const ca = verify && job.ca !== undefined ? { ca: await readFile(job.ca, 'utf8') } : {};
  return { secure: start === 'implicit' ? 'implicit' : true, secureOptions: { rejectUnauthorized: verify, ...ca } };
}

/** One session: a new client logs in, runs `work`, and is closed; aborting `signal` closes it at once. */

async function session<T>(job: FtpJob, signal: AbortSignal, work: (client: Client, at: (step: Step) => void) => Promise<T>): Promise<Result<T>> {
  // A close() before access() would be undone by it (connect resets the context): never start.
  if (signal.aborted) return { ok: false, error: { message: 'aborted before the session started' } };
  const client = new Client(job.timeouts.socket);
  client.prepareTransfer = passiveFallback(client);
  let step: Step = 'access';
  const stop = (): void => client.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await client.access({ host: job.host, port: job.port, user: job.user, password: job.password, ...(await tlsAccess(job)) });
    return { ok: true, value: await work(client, (next) => (step = next)) };
  } catch (error) {
    return { ok: false, error: basicFtpError(error, step) };
  } finally {
    signal.removeEventListener('abort', stop);
    client.close();
  }
}

async function download(client: Client, job: FtpJob, at: (step: Step) => void): Promise<ClientReport> {
  const digester = new Digester();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      digester.update(chunk);
      done();
    },
  });
  at('downloadTo');
  const response = await client.downloadTo(sink, job.path);
  return { ok: true, detail: response.message, received: digester.digest() };
}

/**
 * The resume session after a failed upload: SIZE (a failure reply counts as 0: no file, or no SIZE),
 * then APPE of the bytes past it; from 0, or when the server's file is longer than ours, a plain STOR.
 */
async function resumeUpload(job: FtpJob, signal: AbortSignal, first: ClientError): Promise<ClientReport> {
  const firstText = `first attempt: ${[first.code, first.responseCode].filter((x) => x !== undefined).join(' ')} ${first.message}`;
  const resumed = await session(job, signal, async (client, at) => {
    at('size');
    const size = await client.size(job.path).catch((error: unknown) => {
      if (error instanceof FTPError) return 0;
      throw error;
    });
    const offset = size <= job.content.size ? size : 0;
    at(offset > 0 ? 'appendFrom' : 'uploadFrom');
    const rest = job.content.stream(offset);
    const response = offset > 0 ? await client.appendFrom(rest, job.path) : await client.uploadFrom(rest, job.path);
    return { offset, response };
  });
  if (!resumed.ok) return { ok: false, error: { ...resumed.error, message: `resume failed: ${resumed.error.message} (${firstText})` } };
  const { offset, response } = resumed.value;
  return { ok: true, detail: `resumed at ${offset} bytes: ${response.message} (${firstText})` };
}

async function transfer(job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
  if (job.mode !== 'passive') throw new TypeError(`basic-ftp has no ${job.mode} mode`);
  const result = await session(job, signal, async (client, at): Promise<ClientReport> => {
    if (job.direction === 'download') return download(client, job, at);
    at('uploadFrom');
    const response = await client.uploadFrom(job.content.stream(), job.path);
    return { ok: true, detail: response.message };
  });
  if (result.ok) return result.value;
  if (!job.resume || job.direction !== 'upload' || signal.aborted) return result;
  return resumeUpload(job, signal, result.error);
}

/** basic-ftp (npm), in process. */
export const basicFtpClient: FtpClientAdapter = {
  name: 'basic-ftp',
  protocol: 'ftp',
  description: 'basic-ftp, in process: access, uploadFrom/downloadTo, close; passive only (EPSV, then PASV); AUTH TLS or implicit FTPS with PROT P',
  modes: ['passive'],
  resumes: true,
  // basic-ftp opens its sockets itself and takes no local address.
  binds: false,
  run: transfer,
};
