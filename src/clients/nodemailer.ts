/**
 * nodemailer, in process: one send through the plain transport (a connection per message, never
 * retries) or the pooled transport (keeps connections, requeues a message on a stale one).
 */
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
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

/** Per TLS mode: STARTTLS ignored, or required (never falling back to plaintext) with or without verification. */
function tlsOptions(mode: TlsMode, ca: string | undefined) {
  if (mode === 'none') return { ignoreTLS: true };
  // The job's CA (the run's private CA) is the only one trusted when given.
  return { requireTLS: true, ignoreTLS: false, tls: { rejectUnauthorized: mode === 'starttls-verify', ...(ca ? { ca: readFileSync(ca) } : {}) } };
}

function transportOptions(job: SmtpJob, variant: Variant, connections = 1) {
  return {
    host: job.host,
    port: job.port,
    secure: false,
    ...tlsOptions(job.tls ?? 'none', job.ca),
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
 * Sends `jobs` through one transport (so a pool is shared), in parallel or one after another with the
 * client idle `gapMs` between; one report per job. The transport closes when done or aborted.
 */
async function sendMany(jobs: readonly SmtpJob[], variant: Variant, sends: Sends, signal: AbortSignal): Promise<ClientReport[]> {
  const transport = nodemailer.createTransport(transportOptions(jobs[0]!, variant, sends.connections));
  const stop = (): void => transport.close();
  signal.addEventListener('abort', stop, { once: true });
  const one = async (job: SmtpJob): Promise<ClientReport> => {
    try {
      const info = await transport.sendMail({ envelope: { from: job.from, to: [...job.to] }, raw: job.message });
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
      reports.push(await one(job));
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
  run: async (job, signal) => (await sendMany([job], 'plain', single, signal))[0]!,
};

/** nodemailer's pooled SMTP transport. */
export const nodemailerPool: SmtpClientAdapter = {
  name: 'nodemailer-pool',
  protocol: 'smtp',
  description: 'nodemailer pooled SMTP transport, in process (reuses connections, requeues on a stale one)',
  run: async (job, signal) => (await sendMany([job], 'pool', single, signal))[0]!,
  pools: true,
  runMany: (jobs, sends, signal) => sendMany(jobs, 'pool', sends, signal),
};
