/**
 * nodemailer, in process: one send through the plain transport (a connection per message, never
 * retries) or the pooled transport (keeps connections, requeues a message on a stale one).
 */
import nodemailer from 'nodemailer';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import { inTempDir } from './process.js';
import type { ClientError, ClientReport, Sends, SmtpClientAdapter, SmtpJob, TlsMode } from './types.js';

type Variant = 'plain' | 'pool';

/** The fields of a nodemailer error that classify reads. */
interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  errno?: string;
  responseCode?: number;
  command?: string;
  cause?: unknown;
}

/**
 * Per TLS mode: STARTTLS ignored, or required (never falling back to plaintext), or TLS from the first
 * octet (`secure`, RFC 8314 §3.3); verified against `ca` (the PEM of the job's CA, else Node's CAs) or not.
 */
function tlsOptions(mode: TlsMode, ca: string | undefined) {
  const start = tlsStart(mode);
  if (start === 'none') return { secure: false, ignoreTLS: true };
  const tls = { rejectUnauthorized: tlsVerifies(mode), ...(ca ? { ca } : {}) };
  return start === 'implicit' ? { secure: true, tls } : { secure: false, requireTLS: true, ignoreTLS: false, tls };
}

function transportOptions(job: SmtpJob, ca: string | undefined, variant: Variant, connections = 1) {
  return {
    host: job.host,
    port: job.port,
    ...tlsOptions(job.tls ?? 'none', ca),
    connectionTimeout: job.timeouts.connect,
    greetingTimeout: job.timeouts.greeting,
    socketTimeout: job.timeouts.socket,
    // AUTH PLAIN or LOGIN, whichever the server offers; nodemailer never logs the password.
    ...(job.auth ? { auth: { user: job.auth.user, pass: job.auth.password } } : {}),
    ...(variant === 'pool' ? { pool: true as const, maxConnections: connections, maxMessages: 100 } : {}),
  };
}

/** Reduces a nodemailer error to codes. */
export function nodemailerError(error: unknown): ClientError {
  const e = error as NodemailerError;
  const socketCode = e.originalCode ?? (e.cause as NodejsCause | undefined)?.code;
  return {
    ...(e.code ? { code: e.code } : {}),
    ...(socketCode ? { cause: socketCode } : {}),
    ...(e.responseCode ? { responseCode: e.responseCode } : {}),
    ...(e.command ? { command: e.command } : {}),
    message: e.message,
  };
}

interface NodejsCause {
  code?: string;
}

/**
 * Messages up to this size go to nodemailer whole, as an application's message in memory; larger ones
 * as a file it reads (see sendMany). Read from a file, nodemailer writes the body a chunk at a time as
 * the file is read, and a chunk's write can meet an RST before the reply just before it is read: in a
 * full test run smtp/large's 552-mid-body-then-reset (a 552 1 MiB into the body, then an RST) was
 * `reset@body`, never seen with the message whole in earlier full runs. The built-in suites' messages
 * (50 MiB at most) stay whole, so their verdicts are those measured before.
 */
export const WHOLE_UP_TO = 64 * 1024 * 1024;

/** What nodemailer is given as `raw`: a message whole, or the file it is in. */
type Raw = Buffer | { readonly path: string };

/**
 * Sends `jobs` through one transport (so a pool is shared), in parallel or one after another with the
 * client idle `gapMs` between; one report per job. The transport closes when done or aborted. A message
 * larger than WHOLE_UP_TO is written to a private folder first, before any connection (a failure to
 * write it is wireprobe's, and writing one between sends would stretch the pool's idle gap), and given
 * as `raw.path`: nodemailer opens the file again for each attempt (a pool requeues a message from a
 * stale connection), which a stream, read once, could not give it.
 */
async function sendMany(jobs: readonly SmtpJob[], variant: Variant, sends: Sends, signal: AbortSignal): Promise<ClientReport[]> {
  if (jobs.every((job) => job.content.size <= WHOLE_UP_TO)) return sendThrough(jobs, variant, sends, signal, () => undefined);
  return inTempDir(
    'wireprobe-nodemailer-',
    async (dir) => {
      const files: (string | undefined)[] = [];
      for (const [i, job] of jobs.entries()) {
        const path = job.content.size > WHOLE_UP_TO ? join(dir, `${i}.eml`) : undefined;
        if (path) await job.content.writeTo(path, { signal });
        files.push(path);
      }
      return sendThrough(jobs, variant, sends, signal, (i) => files[i]);
    },
    signal,
  );
}

/** sendMany's sending, `fileOf(i)` the file job i's message was written to, if any. */
async function sendThrough(
  jobs: readonly SmtpJob[],
  variant: Variant,
  sends: Sends,
  signal: AbortSignal,
  fileOf: (i: number) => string | undefined,
): Promise<ClientReport[]> {
  const first = jobs[0]!;
  // The CA file is the run's own (written before any client starts): failing to read it is a bug, not a result.
  const ca = first.ca && tlsVerifies(first.tls ?? 'none') ? await readFile(first.ca, 'utf8') : undefined;
  const transport = nodemailer.createTransport(transportOptions(first, ca, variant, sends.connections));
  const stop = (): void => transport.close();
  signal.addEventListener('abort', stop, { once: true });
  const one = async (job: SmtpJob, i: number): Promise<ClientReport> => {
    const file = fileOf(i);
    const raw: Raw = file ? { path: file } : await job.content.whole();
    // Made in turns of the event loop: the run may have ended meanwhile, and the transport with it.
    if (signal.aborted) return { ok: false, error: { code: 'EABORT', message: 'stopped before the message was sent' } };
    try {
      const info = await transport.sendMail({ envelope: { from: job.from, to: [...job.to] }, raw });
      return { ok: true, detail: info.response };
    } catch (error) {
      return { ok: false, error: nodemailerError(error) };
    }
  };
  try {
    if (sends.mode === 'parallel') return await Promise.all(jobs.map(one));
    const reports: ClientReport[] = [];
    for (const [i, job] of jobs.entries()) {
      if (i > 0 && sends.gapMs) await delay(sends.gapMs);
      reports.push(await one(job, i));
    }
    return reports;
  } finally {
    signal.removeEventListener('abort', stop);
    transport.close();
  }
}

const single: Sends = { count: 1, mode: 'sequential' };

/** nodemailer's plain SMTP transport. */
export const nodemailerPlain: SmtpClientAdapter = {
  name: 'nodemailer',
  protocol: 'smtp',
  description: 'nodemailer SMTP transport, in process (a connection per message, no retry)',
  holdsContent: WHOLE_UP_TO,
  run: async (job, signal) => (await sendMany([job], 'plain', single, signal))[0]!,
  authenticates: true,
};

/** nodemailer's pooled SMTP transport. */
export const nodemailerPool: SmtpClientAdapter = {
  name: 'nodemailer-pool',
  protocol: 'smtp',
  description: 'nodemailer pooled SMTP transport, in process (reuses connections, requeues on a stale one)',
  holdsContent: WHOLE_UP_TO,
  run: async (job, signal) => (await sendMany([job], 'pool', single, signal))[0]!,
  pools: true,
  authenticates: true,
  runMany: (jobs, sends, signal) => sendMany(jobs, 'pool', sends, signal),
};
