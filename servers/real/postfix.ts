/**
 * Postfix, the real one: a private config directory in a temporary directory, one smtpd on
 * 127.0.0.1:PORT, every accepted message (any recipient, any domain) delivered by the `virtual` agent
 * into one Maildir, one file per recipient.
 *
 *   start(): DIR/etc/{main,master}.cf, DIR/spool (+ quick-start), DIR/mail/inbox/{new,cur,tmp}
 *            ──► spawnServer(`postfix -c DIR/etc start-fg`) ──► `220 ` from a probe address, which
 *                then walks MAIL and RCPT so the daemons behind them run before the first client (WARM_UP)
 *   close(): SIGTERM to the master ──► every process gone ──► port free ──► rm -r DIR
 *
 * Processes: in a PID namespace (common.ts, when root may make one) `start-fg` finds itself PID 1 and
 * execs `master -i`, so the master is the namespace's init and its exit takes every daemon with it.
 * Without one, common.ts signals each descendant's group (the master calls setsid()).
 *
 * Delivery happens after the 250, in the background (measured here: 5-130 ms per message, more on a
 * busy machine): `waitForMessages` polls the Maildir with a deadline. Needs root and the Debian package
 * (scripts/install/mta.sh).
 */
import { makePostfixQueue } from '../../src/util/postfix-queue.js';
import { readWhole, type StoredMessage } from '../../src/util/stored-copies.js';
import { maildirFiles } from '../../src/util/maildir.js';
import { createReadStream } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import {
  LOOPBACK,
  findBinary,
  freePort,
  invalidOptions,
  makePrivateDir,
  notWhole,
  onFreePort,
  removeDir,
  spawnServer,
  tail,
  untilPortFree,
  urlHost,
  writeLocalhostCertificate,
  tlsOffered,
  tlsUnsupported,
  type LaunchedServer,
  type ProcessLauncher,
  type ServerProcess,
} from './common.js';
import { MAILBOX_ID, mainCf, masterCf } from './postfix-config.js';
import { ServerNotInstalled, type RealServerHandle, type RealServerOptions } from './types.js';

/** Where to look for postfix; defaults: `postfix` on PATH (plus /usr/sbin). */
export interface PostfixLauncherOptions {
  /** Binary name or path; default 'postfix'. */
  readonly binary?: string;
  /** main.cf lines appended after the launcher's own (a configuration under test); default none. */
  readonly mainCf?: readonly string[];
}

const INSTALL = 'scripts/install/mta.sh (apt-get install postfix, preseeded "No configuration"; it removes exim4)';

/** How long start() waits for the 220 (master and smtpd start in ~0.1 s here). */
const START_DEADLINE_MS = 20_000;

/**
 * The readiness probe connects from here, an address no client uses: anvil hears of a session's end a
 * moment after its close, so a probe from 127.0.0.1 could still count against a per-address limit.
 */
const PROBE_ADDRESS = '127.0.0.254';

/** Why Postfix cannot run with `options`, or undefined. */
function unsupported(options: RealServerOptions): string | undefined {
  return (
    invalidOptions(options) ??
    notWhole(options.idleTimeoutMs, 1000, 'postfix smtpd_timeout') ??
    (['pasvRange', 'pasvAddress', 'dataTimeoutMs', 'active'] as const)
      .filter((knob) => options[knob] !== undefined)
      .map((knob) => `${knob} is an FTP knob; Postfix is an SMTP server`)[0] ??
    tlsUnsupported('postfix', options, { implicit: 'extra-port', reuse: 'n/a' })
  );
}

/** Queues a message passes through before delivery (deferred and held ones are settled: not delivered). */
const IN_FLIGHT = ['maildrop', 'incoming', 'active'];
/** How long a queue may take to drain after the clients left. */
const DRAIN_BOUND_MS = 10_000;

/** Files under `dir`, at any depth (Postfix may hash queue files into subdirectories). */
async function filesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let count = 0;
  for (const entry of entries) count += entry.isDirectory() ? await filesUnder(join(dir, entry.name)) : 1;
  return count;
}

/**
 * Resolves once Postfix's in-flight queues are empty, so every message it accepted is in the Maildir
 * (delivery happens after the 250, 1-130 ms here), or after DRAIN_BOUND_MS.
 */
async function queueDrained(spool: string): Promise<void> {
  const until = Date.now() + DRAIN_BOUND_MS;
  while (Date.now() < until) {
    const counts = await Promise.all(IN_FLIGHT.map((queue) => filesUnder(join(spool, queue))));
    if (counts.every((n) => n === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The Maildir `inbox` under DIR/mail, owned by the mailbox uid so `virtual` can write into it. */
async function makeMaildir(dir: string): Promise<string> {
  const mail = join(dir, 'mail');
  const maildir = join(mail, 'inbox');
  for (const path of [mail, maildir, ...['new', 'cur', 'tmp'].map((sub) => join(maildir, sub))]) {
    await mkdir(path, { mode: path === mail ? 0o755 : 0o700 });
    await chown(path, MAILBOX_ID, MAILBOX_ID);
  }
  return maildir;
}

/**
 * Every message stored in a Maildir (`new/` and `cur/`; `tmp/` holds deliveries in progress), oldest
 * first, as stored: Postfix's Return-Path, X-Original-To, Delivered-To and Received prepended, LF ends.
 */
export async function readMaildir(maildir: string): Promise<Buffer[]> {
  return Promise.all((await storedInMaildir(maildir)).map(readWhole));
}

/** The messages in the Maildir at `maildir`, oldest first, each read from its file when asked (none is read here). */
export async function storedInMaildir(maildir: string): Promise<StoredMessage[]> {
  const files: Array<{ readonly path: string; readonly name: string; readonly mtime: bigint }> = [];
  for (const [name, path] of await maildirFiles(maildir)) {
    const info = await stat(path, { bigint: true }).catch(() => undefined); // a reader may move it to cur/
    if (info) files.push({ path, name, mtime: info.mtimeNs });
  }
  files.sort((a, b) => (a.mtime === b.mtime ? a.name.localeCompare(b.name) : a.mtime < b.mtime ? -1 : 1));
  return files.map(({ path, name }) => ({ name, read: () => createReadStream(path) }));
}

/**
 * Resolves with `handle.messages()` once it holds at least `count` messages (polling every 10 ms);
 * rejects after `timeoutMs` (default 10 s) saying how many there were. Postfix stores a message only
 * after its 250 (its queue manager hands it to `virtual`); Exim with queue_only stores before the 250.
 */
export async function waitForMessages(handle: RealServerHandle, count: number, timeoutMs = 10_000): Promise<Buffer[]> {
  if (!handle.messages) throw new Error(`${handle.name} stores no messages (not an MTA)`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await handle.messages();
    if (stored.length >= count) return stored;
    if (Date.now() >= deadline) throw new Error(`${handle.name}: ${stored.length} of ${count} message(s) stored after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What the probe says after a 220, each line once the previous reply is complete: a MAIL and a RCPT make
 * smtpd start the cleanup and trivial-rewrite daemons, which then wait (max_idle, 100 s) for the next
 * session. Cold, they answered the first client's MAIL and RCPT 19 ms each here on an idle machine and
 * past 1 s on a loaded one, beyond the 1 s client timeouts of smtp/timeouts, where that client's verdict
 * then depended on load. RSET: nothing is queued. Any reply will do (a user's main.cf may refuse these).
 */
const WARM_UP = ['EHLO wireprobe.test', 'MAIL FROM:<>', 'RCPT TO:<sink@wireprobe.test>', 'RSET', 'QUIT'];
/** The last line of a reply (code, space, text), wherever it is in what was read; not global: no lastIndex to carry. */
const REPLY_END = /^\d{3} [^\r\n]*\r?\n/m;
/** The longest the warm-up may take after the 220 (a cleanup that cannot start, say a bad map in a user's main.cf, makes smtpd retry). */
const WARM_UP_BOUND_MS = 5_000;

/**
 * One probe from PROBE_ADDRESS: the greeting's last line once the server closed the session. After a
 * 220 it warms Postfix up (WARM_UP); after any other greeting it only QUITs.
 */
function probe(host: string, port: number, deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // ::1 is IPv6's one loopback address: no other to probe from.
    const socket = net.connect({ host, port, ...(host === LOOPBACK ? { localAddress: PROBE_ADDRESS } : {}) });
    let text = '';
    let greeting: string | undefined;
    let said: string[] = [];
    // Until the greeting, the start deadline; after it, WARM_UP_BOUND_MS, past which the probe just ends:
    // the warm-up is a favour, the 220 the answer.
    let timer = setTimeout(
      () => socket.destroy(new Error(`no greeting within the start deadline (got ${JSON.stringify(text)})`)),
      Math.max(1, deadline - Date.now()),
    );
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      // Each complete reply (its last line: code and space) lets the next line go.
      for (let last = REPLY_END.exec(text); last; last = REPLY_END.exec(text)) {
        text = text.slice(last.index + last[0].length);
        if (greeting === undefined) {
          greeting = last[0].trim();
          said = greeting.startsWith('220 ') ? [...WARM_UP] : ['QUIT'];
          clearTimeout(timer);
          timer = setTimeout(() => socket.destroy(), WARM_UP_BOUND_MS);
        }
        const next = said.shift();
        if (next !== undefined) socket.write(`${next}\r\n`);
        if (next === 'QUIT') socket.end();
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (greeting === undefined) reject(error); // after it, the close resolves
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (greeting !== undefined) resolve(greeting);
      else reject(Object.assign(new Error(`closed before a greeting (got ${JSON.stringify(text)})`), { code: 'ECONNRESET' }));
    });
  });
}

/**
 * Waits for `220 ` on 127.0.0.1:port, retrying every 10 ms while refused; rejects when the process
 * exits first, on another greeting, or at the deadline. Not common.ts's awaitBanner: that also waits
 * for the server to have no child process, and Postfix's master always has some (qmgr, pickup...).
 */
async function awaitGreeting(server: ServerProcess, host: string, port: number): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    if (server.hasExited()) throw new Error(`postfix exited before its greeting (${JSON.stringify(await server.exited)})`);
    const attempt = probe(host, port, deadline);
    const greeting = await Promise.race([attempt, server.exited.then(() => undefined)]).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') return '';
      throw error;
    });
    attempt.catch(() => undefined); // lost the race to the exit: never unhandled
    if (greeting?.startsWith('220 ')) return;
    if (greeting) throw new Error(`postfix greeted with ${greeting}, not 220`);
    if (Date.now() >= deadline) throw new Error(`postfix gave no 220 on ${host} port ${port} within ${START_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Makes a Postfix launcher (the default one is `postfixLauncher`; tests point one at a missing binary). */
export function createPostfixLauncher(where: PostfixLauncherOptions = {}): ProcessLauncher {
  const binary = where.binary ?? 'postfix';
  const locate = (): Promise<string | undefined> => findBinary(binary);
  return {
    name: 'postfix',
    protocol: 'smtp',
    install: INSTALL,
    installed: async () => (await locate()) !== undefined,
    unsupported,
    start: onFreePort(async (options): Promise<LaunchedServer> => {
      const reason = unsupported(options);
      if (reason) throw new RangeError(`postfix: ${reason}`);
      const postfix = await locate();
      if (!postfix) throw new ServerNotInstalled('postfix', INSTALL);
      if (process.getuid?.() !== 0) throw new Error('postfix: starting it needs root (its daemons switch to the postfix user)');

      const host = options.host ?? LOOPBACK;
      const { port } = options;
      const implicitPort = options.tls && options.tlsImplicit ? await freePort(host) : undefined;
      const dir = await makePrivateDir('wireprobe-postfix-');
      let server: ServerProcess | undefined;
      let listened = false;
      const stop = async (): Promise<void> => {
        await server?.stop();
        // Only a server that listened can hold the port (after a failed bind it is someone else's).
        if (listened) await untilPortFree(port, host);
        await removeDir(dir);
      };
      try {
        await chmod(dir, 0o755); // the postfix and nobody users traverse it
        await mkdir(join(dir, 'etc'));
        await mkdir(join(dir, 'log'));
        await makePostfixQueue(dir);
        const maildir = await makeMaildir(dir);
        const userText = options.configFile === undefined ? undefined : await readFile(options.configFile, 'utf8');
        const main = mainCf(dir, options, where.mainCf, userText);
        if (main.usesCertificate) await writeLocalhostCertificate(dir, options.tlsCertificate);
        await writeFile(join(dir, 'etc', 'main.cf'), main.text);
        await writeFile(join(dir, 'etc', 'master.cf'), masterCf(port, options, implicitPort));
        // Postfix re-reads main.cf every 300 ms while it is less than a second old ("to let it cool
        // down"): ~2 s per Postfix command for a config written just now. Date both files back a minute.
        const past = new Date(Date.now() - 60_000);
        for (const file of ['main.cf', 'master.cf']) await utimes(join(dir, 'etc', file), past, past);

        server = await spawnServer(postfix, ['-c', join(dir, 'etc'), 'start-fg'], { cwd: dir });
        await awaitGreeting(server, host, port);
        listened = true;
        const running = server;
        const tls = tlsOffered(options, port, implicitPort);
        let closing: Promise<void> | undefined;
        return {
          name: 'postfix',
          protocol: 'smtp',
          host,
          port,
          url: `smtp://${urlHost(host)}:${port}`,
          storage: maildir,
          ...(userText === undefined ? {} : { overridden: main.overridden }),
          ...(tls ? { tls } : {}),
          messages: () => readMaildir(maildir),
          stored: () => storedInMaildir(maildir),
          settle: () => queueDrained(join(dir, 'spool')),
          pid: running.pid,
          processes: () => running.processes(),
          close: () => (closing ??= stop()),
        };
      } catch (error) {
        const log = (await tail(join(dir, 'log', 'maillog'))).trim();
        const said = server?.output().trim();
        await stop();
        if (error instanceof Error) error.message += `${said ? `\n--- start-fg output:\n${said}` : ''}${log ? `\n--- maillog:\n${log}` : ''}`;
        throw error;
      }
    }),
  };
}

/**
 * Postfix from PATH (apt, Debian 12: 3.7.11). Replies measured here: per-address limit `421 4.7.0
 * mx.example.test Error: too many connections from 127.0.0.2`; process limit (maxSessions): no reply,
 * the client waits in the backlog until an smtpd is free; idle `421 4.4.2 mx.example.test Error: timeout
 * exceeded`; oversize `552 5.3.4 Message size exceeds fixed limit` at MAIL with SIZE=, `552 5.3.4 Error:
 * message file too big` after the data without it. Stored messages: one file per accepted recipient.
 */
export const postfixLauncher: ProcessLauncher = createPostfixLauncher();
