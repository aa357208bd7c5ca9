/**
 * Python's ftplib, run as a process (src/clients/ftplib-transfer.py): FTP(timeout=socket), connect,
 * login, set_pasv, storbinary or retrbinary, quit, as an application would. Passive is PASV and active
 * is PORT (ftplib uses EPSV/EPRT only over IPv6). The script reports exception type, errno name, reply
 * code and the ftplib method it failed in as JSON; a download is written to a temporary file, hashed (size,
 * SHA-256) and removed. The password goes through the environment, never the command line.
 * TLS (FtpJob.tls): FTP_TLS with PROT P, or implicit FTPS (ftplibTlsEnv); ftplib never resumes the
 * control connection's TLS session on a data connection, so a server that requires it (vsftpd's
 * default require_ssl_reuse=YES) fails every transfer with 522 (reported as the failure's reply code).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestFile } from '../util/digest.js';
import { tlsFacts } from './tls-mode.js';
import { inTempDir, runProcess, scriptResult } from './process.js';
import type { ClientError, ClientReport, FtpClientAdapter, FtpJob } from './types.js';

const SCRIPT = fileURLToPath(new URL('./ftplib-transfer.py', import.meta.url));

/** The environment variable the script reads the password from. */
const PASSWORD_ENV = 'WIREPROBE_FTP_PASSWORD';
/** The environment variable the script reads its source address from (FTP(source_address=...)). */
const SOURCE_ENV = 'WIREPROBE_FTP_SOURCE';

interface ScriptFailure {
  ok: false;
  type?: string;
  errno?: string | null;
  code?: number | null;
  step?: string;
  message?: string;
}

interface ScriptResult {
  ok: boolean;
  reply?: string;
  type?: string;
  errno?: string | null;
  code?: number | null;
  step?: string;
  message?: string;
  /** Offset the resume session started at (null: no resume). */
  resumedAt?: number | null;
  /** The first attempt's failure, when a resume session followed it. */
  first?: ScriptFailure | null;
}

/**
 * A script failure as codes: the exception type (error_perm, ConnectionResetError, EOFError: ftplib's
 * word for a control connection the server closed, TimeoutError...) in `code`, its errno name in
 * `cause` (ETIMEDOUT for any timeout), the reply code in `responseCode`, the ftplib method in `command`.
 */
function scriptError(failure: ScriptFailure): ClientError {
  return {
    ...(failure.type ? { code: failure.type } : {}),
    ...(failure.errno ? { cause: failure.errno } : {}),
    ...(failure.code ? { responseCode: failure.code } : {}),
    ...(failure.step ? { command: failure.step } : {}),
    message: failure.message ?? '',
  };
}

function describeFirst(first: ScriptFailure): string {
  const codes = [first.type, first.errno, first.code].filter((x) => x !== undefined && x !== null);
  return `first attempt: ${codes.join(' ')} ${first.message ?? ''}`;
}

/**
 * The script's TLS environment: WIREPROBE_FTP_TLS `explicit` (FTP_TLS, AUTH TLS then PROT P) or
 * `implicit`; WIREPROBE_FTP_VERIFY=1 and WIREPROBE_FTP_CA to verify against the job's CA. No TLS: none set.
 */
export function ftplibTlsEnv(job: Pick<FtpJob, 'tls' | 'ca'>): Record<string, string> {
  const tls = tlsFacts(job);
  if (!tls.on) return {};
  return {
    WIREPROBE_FTP_TLS: tls.implicit ? 'implicit' : 'explicit',
    ...(tls.verify ? { WIREPROBE_FTP_VERIFY: '1', ...(job.ca ? { WIREPROBE_FTP_CA: job.ca } : {}) } : {}),
  };
}

/**
 * An upload is read from a file, as an application uploads one (and a resume seeks in it); a download is
 * written to one. Either way in a private folder, removed when the script ends.
 */
async function transfer(job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
  return inTempDir(
    'wireprobe-ftplib-',
    async (dir) => {
      const file = join(dir, job.direction === 'download' ? 'received' : 'upload');
      if (job.direction === 'upload') await job.content.writeTo(file, { signal });
      return once(job, signal, file);
    },
    signal,
  );
}

/** One run of the script; `file`: the upload's content, or where a download is written. */
async function once(job: FtpJob, signal: AbortSignal, file: string): Promise<ClientReport> {
  const download = job.direction === 'download';
  const policy = job.resume ? 'resume' : 'once';
  const args = [SCRIPT, job.host, String(job.port), job.user, job.mode, job.direction, job.path, String(job.timeouts.socket / 1000), policy, file];
  const run = await runProcess('python3', args, {
    signal,
    env: { [PASSWORD_ENV]: job.password, ...(job.source ? { [SOURCE_ENV]: job.source } : {}), ...ftplibTlsEnv(job) },
  });
  const parsed = scriptResult<ScriptResult>(run, 'ftplib script');
  if ('failure' in parsed) return parsed.failure;
  const { result } = parsed;
  const first = result.first ? ` (${describeFirst(result.first)})` : '';
  if (!result.ok) {
    const error = scriptError(result as ScriptFailure);
    return { ok: false, error: result.first ? { ...error, message: `resume failed: ${error.message}${first}` } : error };
  }
  const resumed = typeof result.resumedAt === 'number' ? `resumed at ${result.resumedAt} bytes: ` : '';
  const detail = `${resumed}${result.reply ?? ''}${first}`;
  return download ? { ok: true, detail, received: await digestFile(file) } : { ok: true, detail };
}

/** Python's ftplib. */
export const ftplibClient: FtpClientAdapter = {
  name: 'ftplib',
  protocol: 'ftp',
  description: "Python's ftplib (python3), as a process: FTP(timeout=socket), login, storbinary/retrbinary, quit",
  requires: { command: 'python3', install: 'apt-get install python3' },
  modes: ['passive', 'active'],
  resumes: true,
  binds: true,
  run: transfer,
};
