/**
 * `postfix-relay`: Postfix's SMTP client (an MTA relaying to its smarthost) as a client in the matrix.
 * Each job gets a private Postfix instance (./postfix-relay-config.ts) whose relayhost is the proxy; the
 * message goes in through the instance's own sendmail, and what the client did is read from its log:
 * `status=sent`, `status=deferred` (a 4xx reply, or the connection lost or timed out) or
 * `status=bounced` (a 5xx reply). Postfix's SMTP client sends DATA even to a server that offers
 * CHUNKING (measured with 3.7.11: its smtp(8) has no BDAT; only its smtpd takes BDAT), so it cannot
 * express the BDAT scenarios (`sendsBdat` unset: n/a there).
 *
 *   start-fg ─► sendmail -C DIR/etc ─► pickup ─► qmgr ─► smtp ─► proxy ─► server
 *   maillog: `ID: to=<...>, relay=..., status=deferred (lost connection with ... while sending end of data ...)`
 *   deferred ─► postqueue -i ID (one retry, RFC 5321 §4.5.4.1) ─► its status too ─► report
 *
 * The report and the retry are ./relay.ts's, shared with exim-relay. Needs root.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRelayInstance } from './postfix-relay-config.js';
import { inTempDir, runProcess } from './process.js';
import { needsRoot, type RelayAttempt, relayReport } from './relay.js';
import type { ClientError, ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/** One delivery attempt's line in the maillog (`reason`: what Postfix said in parentheses). */
export type RelayStatus = RelayAttempt;

/** How often the maillog is read while waiting for a status line. */
const POLL_MS = 20;
/** How long `postfix stop` may take before the master is killed. */
const STOP_BOUND_MS = 5_000;

/** Every `status=` line of the maillog of the message `id` (any id when undefined), in order. */
export function statusLines(log: string, id?: string): RelayStatus[] {
  const found: RelayStatus[] = [];
  for (const match of log.matchAll(/postfix\/\w+\[\d+\]: ([0-9A-F]+): to=<[^>]*>.*?, status=(sent|deferred|bounced) \((.*)\)$/gm)) {
    if (id === undefined || match[1] === id) found.push({ status: match[2] as RelayStatus['status'], reason: match[3]! });
  }
  return found;
}

/** The queue id of the message picked up from sendmail, once the log has it. */
function queueId(log: string): string | undefined {
  return /postfix\/pickup\[\d+\]: ([0-9A-F]+): uid=/.exec(log)?.[1];
}

/**
 * A deferral or bounce, in classify's terms: a server reply (`host ... said: 451 ...`) is its code; a
 * lost connection is the wire's to tell (RST or FIN); a conversation that timed out is a timeout; a
 * refused connect is ECONNREFUSED. The command is Postfix's words (`end of DATA`, `MAIL FROM`).
 */
export function relayError(attempt: RelayStatus): ClientError {
  const { reason } = attempt;
  const command = /\(in reply to (.+?) command\)/.exec(reason)?.[1] ?? /while (?:sending|receiving) (?:the )?(.+?)(?: --|$)/.exec(reason)?.[1];
  const base = { code: attempt.status, message: `status=${attempt.status} (${reason})`, ...(command ? { command } : {}) };
  const said = /\bsaid: (\d{3})[ -]/.exec(reason);
  if (said) return { ...base, responseCode: Number(said[1]), meaning: 'reply' };
  if (/Connection refused/.test(reason)) return { ...base, cause: 'ECONNREFUSED' };
  if (/timed out/.test(reason)) return { ...base, meaning: 'timeout' };
  if (/^lost connection\b/.test(reason)) return { ...base, meaning: 'wire' };
  return { ...base, meaning: 'ended' };
}

/** Resolves with the maillog's text once `ready` says it holds what is awaited, or undefined when `signal` aborts. */
async function awaitLog<T>(dir: string, ready: (log: string) => T | undefined, signal: AbortSignal): Promise<T | undefined> {
  while (!signal.aborted) {
    const log = await readFile(join(dir, 'log', 'maillog'), 'latin1').catch(() => '');
    const found = ready(log);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** The master's pid, from its pid file (undefined before it wrote one). */
async function masterPid(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, 'spool', 'pid', 'master.pid'), 'latin1').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Stops the instance: `postfix stop`, then the master killed if it is still there after STOP_BOUND_MS. */
async function stopInstance(etc: string, pid: number | undefined, exited: Promise<unknown>): Promise<void> {
  const never = new AbortController().signal;
  await runProcess('postfix', ['-c', etc, 'stop'], { signal: never });
  const bound = new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref());
  if ((await Promise.race([exited.then(() => 'gone'), bound])) === 'gone') return;
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Runs one job through a private Postfix instance in `dir`. */
async function relay(dir: string, job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const notRoot = needsRoot('postfix-relay', 'Postfix switches to its own users');
  if (notRoot) return notRoot;
  await writeRelayInstance(dir, job);
  const etc = join(dir, 'etc');
  const master = spawn('postfix', ['-c', etc, 'start-fg'], { detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => master.once('close', resolve).once('error', resolve));
  let pid: number | undefined;
  const killNow = (): void => {
    for (const target of [pid, master.pid === undefined ? undefined : -master.pid]) {
      try {
        if (target !== undefined) process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  signal.addEventListener('abort', killNow, { once: true });
  try {
    const inject = await runProcess('sendmail', ['-C', etc, '-i', '-f', job.from, '--', ...job.to], { stdin: job.content, signal });
    if (inject.exitCode !== 0)
      return { ok: false, error: { code: 'EINJECT', message: `sendmail: ${inject.stderr.trim() || inject.spawnError || `exit ${inject.exitCode}`}` } };
    const id = await awaitLog(dir, queueId, signal);
    pid = await masterPid(dir);
    if (id === undefined) return { ok: false, error: { code: 'EABORT', message: 'stopped before Postfix picked the message up' } };
    const first = await awaitLog(dir, (log) => statusLines(log, id)[0], signal);
    if (first === undefined) return { ok: false, error: { code: 'EABORT', message: `stopped before ${id}'s first delivery attempt ended` } };
    // The retry: `postqueue -i` flushes the one message now.
    return await relayReport(id, first, relayError, async () => {
      await runProcess('postqueue', ['-c', etc, '-i', id], { signal });
      return awaitLog(dir, (log) => statusLines(log, id)[1], signal);
    });
  } finally {
    signal.removeEventListener('abort', killNow);
    if (!signal.aborted) await stopInstance(etc, pid ?? (await masterPid(dir)), exited);
  }
}

/** Postfix as the relaying MTA. */
export const postfixRelayClient: SmtpClientAdapter = {
  name: 'postfix-relay',
  protocol: 'smtp',
  description: 'Postfix relaying to the server as its smarthost (its SMTP client: retries a deferral once, sends DATA)',
  requires: { command: 'postfix', install: 'apt-get install postfix (preseeded "No configuration": scripts/install/mta.sh); needs root' },
  run: (job, signal) => inTempDir('wireprobe-postfix-relay-', (dir) => relay(dir, job, signal), signal),
};
