/**
 * `exim-relay`: Exim's SMTP client (an MTA relaying to its smarthost) as a client in the matrix, the
 * one real client here that sends BDAT: its smtp transport uses CHUNKING (RFC 3030) whenever the
 * server offers it (`hosts_try_chunking`, default `*`), so it can express the BDAT scenarios.
 * Each job gets a private Exim instance (./exim-relay-config.ts) whose smarthost is the proxy, and no
 * daemon: the message is queued from the command line (`-odq`), then `exim -M ID` delivers it; what
 * the client did is read from the instance's mainlog: `=>` delivered, `==` deferred (a 4xx reply, or
 * the connection lost or timed out), `**` failed (a 5xx reply).
 *
 *   exim -C DIR/exim.conf -odq -oi -f FROM -- TO... < message ─► exim -M ID ─► smtp transport ─► proxy ─► server
 *   mainlog: `ID == sink@... R=smarthost T=relay_smtp defer (-18) H=127.0.0.1 [127.0.0.1]: Remote host closed connection ...`
 *   deferred ─► exim -M ID again (one forced retry, RFC 5321 §4.5.4.1) ─► its line too ─► report (./relay.ts)
 *
 * Exim pipelines QUIT after the message when the server offers PIPELINING and shuts its side of the
 * connection down at once (a half-close) on the first attempt. Measured with exim 4.96 (Debian 12,
 * unpacked by scripts/install/mta.sh). Needs root (Exim switches to its own user).
 */
import { constants as fsConstants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeEximRelay } from './exim-relay-config.js';
import { commandPath, inTempDir, runProcess } from './process.js';
import { needsRoot, type RelayAttempt, relayReport } from './relay.js';
import type { ClientError, ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/** Where scripts/install/mta.sh unpacks Exim (with WIREPROBE_SERVERS_ROOT at its default). */
export const EXIM_UNPACKED = '/opt/wireprobe-servers/root/usr/sbin/exim4';

/** Options of an exim-relay client. */
export interface EximRelayOptions {
  /**
   * The exim binary, an absolute path (it is also the configuration's exim_path); default `exim4` on
   * PATH (Debian's exim4-daemon-light installed with apt), else EXIM_UNPACKED.
   */
  readonly binary?: string;
}

/** The exim binary the relay runs (see EximRelayOptions.binary), an absolute path; undefined when there is none. */
export async function eximBinary(given?: string): Promise<string | undefined> {
  const executable = (path: string): Promise<boolean> =>
    access(path, fsConstants.X_OK).then(
      () => true,
      () => false,
    );
  if (given !== undefined) return (await executable(given)) ? given : undefined;
  const onPath = await commandPath('exim4');
  if (onPath?.startsWith('/')) return onPath;
  return (await executable(EXIM_UNPACKED)) ? EXIM_UNPACKED : undefined;
}

const STATUS: Readonly<Record<string, RelayAttempt['status']>> = { '=>': 'sent', '==': 'deferred', '**': 'bounced' };

/**
 * Every delivery line (`=>`, `==`, `**`) of the mainlog for message `id` (any when undefined), in
 * order; the reason is the line after its router and transport (`defer (-18) H=...: Remote host ...`,
 * `H=... K C="250 OK"`: K is Exim's mark of a delivery in BDAT chunks).
 */
export function eximAttempts(log: string, id?: string): RelayAttempt[] {
  const found: RelayAttempt[] = [];
  for (const match of log.matchAll(/^\S+ \S+ (\S+) (=>|==|\*\*) \S+ (?:<[^>]*> )?(?:R=\S+ )?(?:T=\S+ )?(.*)$/gm)) {
    if (id === undefined || match[1] === id) found.push({ status: STATUS[match[2]!]!, reason: match[3]! });
  }
  return found;
}

/** The id Exim gave the message it took in (its `<=` line), if it took one. */
export function eximMessageId(log: string): string | undefined {
  return /^\S+ \S+ (\S+) <= /m.exec(log)?.[1];
}

/**
 * A deferral or failure, in classify's terms: a server reply (`SMTP error from remote mail server
 * after RCPT TO:<...>: 550 ...`) is its code; Exim's errno in `defer (N)` names a refused connect
 * (111), an RST (104) or a connect timeout (110); an SMTP timeout is a timeout; a connection the
 * server closed is the wire's to tell. The command is Exim's words (`end of data`, `MAIL FROM`).
 */
export function eximError(attempt: RelayAttempt): ClientError {
  const { reason } = attempt;
  const command = /\b(?:after|in response to) (?:pipelined )?(end of data|initial connection|sending data block|[A-Z]+(?: FROM| TO)?)/.exec(reason)?.[1];
  const base = { code: attempt.status, message: `${attempt.status === 'bounced' ? '**' : '=='} ${reason}`, ...(command ? { command } : {}) };
  // A failure reply; a 2xx quoted there is the last reply before the connection failed (errno below).
  const said = Number(/SMTP error from remote mail server after .+?: (\d{3})[ -]/.exec(reason)?.[1]);
  if (said >= 400) return { ...base, responseCode: said, meaning: 'reply' };
  const errno = /\bdefer \((-?\d+)\)/.exec(reason)?.[1];
  if (errno === '111') return { ...base, cause: 'ECONNREFUSED' };
  if (errno === '104') return { ...base, cause: 'ECONNRESET' };
  if (errno === '110') return { ...base, cause: 'ETIMEDOUT' };
  if (/\btimeout\b|timed out/i.test(reason)) return { ...base, meaning: 'timeout' };
  if (/closed connection|Broken pipe|Connection reset/.test(reason)) return { ...base, meaning: 'wire' };
  return { ...base, meaning: 'ended' };
}

/** The instance's mainlog ('' before Exim wrote one). */
const mainlog = (dir: string): Promise<string> => readFile(join(dir, 'log', 'mainlog'), 'latin1').catch(() => '');

/** Runs one job through a private Exim instance in `dir`. */
async function relay(dir: string, job: SmtpJob, binary: string, signal: AbortSignal): Promise<ClientReport> {
  const notRoot = needsRoot('exim-relay', 'Exim switches to its own user');
  if (notRoot) return notRoot;
  const conf = await writeEximRelay(dir, job, binary);
  // Queued only (-odq), then delivered by `exim -M` in this process group: `-odi` delivers in a child
  // that calls setsid(), out of the group a deadline or Ctrl-C kills.
  const submit = await runProcess(binary, ['-C', conf, '-odq', '-oi', '-f', job.from, '--', ...job.to], { stdin: job.content, signal });
  const id = eximMessageId(await mainlog(dir));
  if (id === undefined) {
    const why = submit.spawnError ?? (submit.stderr.trim() || (await mainlog(dir)).trim().split('\n').at(-1) || `exit ${submit.exitCode}`);
    return { ok: false, error: { code: 'EINJECT', message: `exim did not take the message: ${why}` } };
  }
  const deliver = async (): Promise<string> => {
    if (!signal.aborted) await runProcess(binary, ['-C', conf, '-M', id], { signal });
    return mainlog(dir);
  };
  const log = await deliver();
  if (signal.aborted) return { ok: false, error: { code: 'EABORT', message: 'stopped before Exim ended its first delivery attempt' } };
  const lastLine = log.trim().split('\n').at(-1) ?? '';
  const first = eximAttempts(log, id)[0];
  if (first === undefined) return { ok: false, error: { code: 'ENOSTATUS', message: `${id}: no delivery line in Exim's mainlog (${lastLine})` } };
  // The retry: `exim -M` again delivers the one message now, whatever its retry time.
  return relayReport(id, first, eximError, async () => (signal.aborted ? undefined : eximAttempts(await deliver(), id)[1]));
}

/** Makes an exim-relay client (the registry's is `eximRelayClient`; tests may point one elsewhere). */
export function createEximRelayClient(options: EximRelayOptions = {}): SmtpClientAdapter {
  return {
    name: 'exim-relay',
    protocol: 'smtp',
    description: 'Exim relaying to the server as its smarthost (its smtp transport: BDAT when offered, retries a deferral once)',
    requires: {
      command: options.binary ?? 'exim4',
      install: 'apt-get install exim4-daemon-light, or beside postfix (the packages conflict) scripts/install/mta.sh, which unpacks it; needs root',
      locate: () => eximBinary(options.binary),
    },
    sendsBdat: true,
    run: async (job, signal) => {
      // On abort Exim is killed before its directory is removed (listeners run in order): a live Exim
      // would make its spool and log directories again, the missing parent too.
      const exim = new AbortController();
      const kill = (): void => exim.abort();
      signal.addEventListener('abort', kill, { once: true });
      try {
        const binary = await eximBinary(options.binary);
        if (binary === undefined)
          return { ok: false, error: { code: 'ENOENT', message: `exim not found (${options.binary ?? `exim4 on PATH or ${EXIM_UNPACKED}`})` } };
        return await inTempDir('wireprobe-exim-relay-', (dir) => relay(dir, job, binary, exim.signal), signal);
      } finally {
        signal.removeEventListener('abort', kill);
      }
    },
  };
}

/** Exim (on PATH, or unpacked by scripts/install/mta.sh) as the relaying MTA. */
export const eximRelayClient: SmtpClientAdapter = createEximRelayClient();
