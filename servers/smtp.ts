/**
 * The mock SMTP server: a well-behaved sink on smtp-server with knobs (size limit, max clients, AUTH,
 * STARTTLS or implicit TLS, banner delay) that records what it accepted, hashed while it streams.
 * Misbehaviour is not its job: faults live in src/proxy, so the same fault works in front of this and
 * of Postfix.
 *
 *   client ──TCP──► net.Server (counts sockets) ──► smtp-server ──► onData: SHA-256 while flowing
 *                                                                     └─ 'end': record, then 250
 */
import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import type { SMTPServerOptions } from 'smtp-server';
import { listenWithBacklog } from '../src/util/backlog.js';
import { localhostCertificate } from '../src/util/localhost-cert.js';
import { RecentItems } from '../src/util/recent-items.js';
import { PromptSMTPServer } from './smtp/prompt-server.js';
import { MessageSpool } from './smtp/spool.js';

/** The mock SMTP server's knobs; every field is optional and merged over SMTP_SERVER_DEFAULTS. */
export interface SmtpServerOptions {
  /** Address to listen on; default '127.0.0.1' (loopback unless told otherwise). */
  readonly host?: string;
  /** Port to listen on; default 0 (the OS picks one, see the handle's `port`). */
  readonly port?: number;
  /** Message size limit in octets, advertised as SIZE (RFC 1870); SIZE=n above it and a body over it get 552; default 0 (none). */
  readonly sizeLimit?: number;
  /** Concurrent connections allowed; the next one gets `421 ... Too many connected clients` and is closed; default 0 (unlimited). */
  readonly maxClients?: number;
  /** AUTH PLAIN/LOGIN against `users` (offered before STARTTLS too); 'required' answers 530 to MAIL without it; default 'none'. */
  readonly auth?: 'none' | 'optional' | 'required';
  /** Known users, name to password; default {} (nobody). */
  readonly users?: Readonly<Record<string, string>>;
  /**
   * 'starttls' offers STARTTLS (RFC 3207); 'implicit' speaks TLS from the first octet, as on port 465
   * (RFC 8314 §3.3), and offers no STARTTLS inside it; either presents `certificate`; default 'off'.
   */
  readonly tls?: 'off' | 'starttls' | 'implicit';
  /**
   * With tls 'starttls': 'refuse' answers MAIL before STARTTLS `530 5.7.0 Must issue a STARTTLS command
   * first`, as Postfix with `smtpd_tls_security_level = encrypt` does (RFC 3207 §4); default 'accept'.
   */
  readonly plainMail?: 'accept' | 'refuse';
  /**
   * With tls 'starttls': 'hide' offers AUTH only inside TLS and refuses it before (538), as Postfix with
   * `smtpd_tls_auth_only = yes` offers it (RFC 4954 §4); default 'offer'.
   */
  readonly plainAuth?: 'offer' | 'hide';
  /**
   * The certificate and key (PEM) TLS presents, e.g. one the run's private CA issued (src/tls/ca.ts);
   * default a self-signed one (CN=localhost, SAN localhost and 127.0.0.1) made at start.
   */
  readonly certificate?: { readonly cert: string; readonly key: string };
  /** Delay before the 220 greeting, ms (the mock adds none of its own: see ./smtp/prompt-server.ts); default 0. */
  readonly bannerDelayMs?: number;
  /**
   * Called with each message as it is accepted, before the 250, and the client's TCP port (behind the
   * proxy: the proxy's port toward this server, which ties the message to a proxied session); default none.
   */
  readonly onMessage?: (message: SinkMessage, from: { readonly port: number }) => void;
  /**
   * Accepted messages the handle's `messages` holds, the newest; older ones are only counted
   * (`accepted()`), so a long-running server's memory stays flat; default Infinity (all).
   */
  readonly keep?: number;
  /**
   * 'on' writes each accepted message's content to a private spool folder (./smtp/spool.ts) before its
   * 250 (SinkMessage.spooled), removed with the server; a message `keep` lets go loses its file; default 'off'.
   */
  readonly spool?: 'off' | 'on';
  /** With `spool: 'on'`: aborting it removes the spool folder at once (Ctrl-C); default a signal that never aborts. */
  readonly signal?: AbortSignal;
  /**
   * 'on' offers CHUNKING (RFC 3030): BDAT chunks make a message for the same sink as DATA
   * (./smtp/bdat.ts); 'off' answers BDAT 500 as an unknown command; default 'off'.
   */
  readonly chunking?: 'off' | 'on';
}

/** The defaults every SmtpServerOptions field falls back to (`certificate`: none given, a self-signed one is made). */
export const SMTP_SERVER_DEFAULTS: Required<Omit<SmtpServerOptions, 'certificate'>> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  sizeLimit: 0,
  maxClients: 0,
  auth: 'none',
  users: Object.freeze({}),
  tls: 'off',
  plainMail: 'accept',
  plainAuth: 'offer',
  bannerDelayMs: 0,
  onMessage: () => undefined,
  keep: Number.POSITIVE_INFINITY,
  spool: 'off',
  signal: new AbortController().signal,
  chunking: 'off',
});

/** One message the sink accepted (it answered 250 to the final dot, or to BDAT LAST). */
export interface SinkMessage {
  /** MAIL FROM address ('' for the null reverse-path). */
  readonly from: string;
  /** RCPT TO addresses, in the order accepted. */
  readonly to: readonly string[];
  /**
   * Octets of the content, dot-unstuffed: all the client sent after the 354 up to the final `.\r\n`,
   * so the CRLF ending the last line counts (RFC 5321 §4.1.1.4: the first CRLF of `<CRLF>.<CRLF>`
   * ends the previous line). `line1\r\nline2\r\n.\r\n` is 14 octets; a bare `.\r\n` is 0. A message
   * sent in BDAT chunks is their octets end to end, as sent (RFC 3030 §2: no dot-stuffing).
   */
  readonly bytes: number;
  /** SHA-256 of those octets, lowercase hex. */
  readonly sha256: string;
  /** 1-based number of the SMTP session (in greeting order on this server) that delivered it. */
  readonly session: number;
  /** With `spool: 'on'`: the file holding the content. */
  readonly spooled?: string;
}

/** A running mock SMTP server. */
export interface SmtpServerHandle {
  /** `smtp://HOST:PORT` (`smtps://` with `tls: 'implicit'`). */
  readonly url: string;
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on (the real one when started on port 0). */
  readonly port: number;
  /**
   * The accepted messages, in order, the newest `keep` of them; a live view, already holding a message
   * when its 250 is sent.
   */
  readonly messages: readonly SinkMessage[];
  /** Messages accepted in all, those `keep` let go included. */
  accepted(): number;
  /** With `spool: 'on'`: the spool folder (gone once closed). */
  readonly spoolDir?: string;
  /**
   * Serves a connection that did not come through the listener: an in-process link's server side
   * (src/util/socket-pair.ts), as `serve smtp`'s proxy reaches the mock. False once the server is closing.
   * Absent with TLS (`tls` not 'off'): Node's TLS over a socket that is not TCP cannot tell smtp-server
   * the client's address, and turns the peer's RST into a plain close.
   */
  accept?(socket: Socket): boolean;
  /** Connections currently open. */
  connections(): number;
  /** Resolves once no TCP connection is open (at once if none). */
  idle(): Promise<void>;
  /** Destroys every socket and stops listening, without waiting for clients; idempotent. */
  close(): Promise<void>;
}

/** A self-signed certificate for localhost and 127.0.0.1 (EC P-256: fast to make). */
async function localhostCert(): Promise<{ key: string; cert: string }> {
  const pems = await localhostCertificate({ keyType: 'ec' });
  return { key: pems.private, cert: pems.cert };
}

/**
 * Calls `onClose` once when `socket` closes. smtp-server's STARTTLS upgrade calls the raw socket's
 * removeAllListeners() before wrapping it, so the listener is put back whenever it is stripped; the
 * raw socket still emits 'close' under TLS, and destroying it also tears the TLS session down.
 */
function onceClosed(socket: Socket, onClose: () => void): void {
  let fired = false;
  const listener = (): void => {
    if (fired) return;
    fired = true;
    onClose();
  };
  const strip = socket.removeAllListeners.bind(socket);
  socket.removeAllListeners = (event?: string | symbol) => {
    strip(event);
    if (!fired && !socket.listeners('close').includes(listener)) socket.once('close', listener);
    return socket;
  };
  socket.once('close', listener);
}

/** An error smtp-server turns into a reply with this code. */
function replyError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Starts the mock SMTP server and resolves once it listens. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpServerHandle> {
  // Fields given as undefined fall back to the defaults too (a spread alone would keep them undefined).
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  // Without a signal, one of its own: every server listening on the defaults' one would add up there.
  const o: Required<Omit<SmtpServerOptions, 'certificate'>> & Pick<SmtpServerOptions, 'certificate'> = {
    ...SMTP_SERVER_DEFAULTS,
    signal: new AbortController().signal,
    ...given,
  };
  if (!(o.keep >= 0 && (Number.isSafeInteger(o.keep) || o.keep === Number.POSITIVE_INFINITY)))
    throw new RangeError(`keep must be a whole number of messages or Infinity, got ${o.keep}`);
  const messages = new RecentItems<SinkMessage>(o.keep);
  const spool = o.spool === 'on' ? new MessageSpool(o.signal) : undefined;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const sessionNumbers = new WeakMap<object, number>();
  const bannerTimers = new Set<NodeJS.Timeout>();
  let idleWaiters: Array<() => void> = [];
  let sessions = 0;

  // Deferred a macrotask so stream-end handlers already queued have run (and recorded) first.
  const settleIdle = (): void => {
    setImmediate(() => {
      if (sockets.size > 0) return;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  };

  const disabledCommands = [...(o.tls !== 'starttls' ? ['STARTTLS'] : []), ...(o.auth === 'none' ? ['AUTH'] : []), ...(o.chunking === 'on' ? [] : ['BDAT'])];
  const smtpOptions: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    // The greeting's name, asked of the system once: smtp-server asks again for every connection.
    name: hostname(),
    hideSTARTTLS: o.tls !== 'starttls',
    disabledCommands,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: o.auth !== 'required',
    allowInsecureAuth: !(o.plainAuth === 'hide' && o.tls === 'starttls'),
    size: o.sizeLimit,
    maxClients: o.maxClients,
    ...(o.tls === 'off' ? {} : (o.certificate ?? (await localhostCert()))),
    // smtp-server does the handshake before the greeting; no STARTTLS is offered inside it.
    ...(o.tls === 'implicit' ? { secure: true } : {}),

    onConnect(session, callback) {
      sessionNumbers.set(session, ++sessions);
      if (o.bannerDelayMs <= 0) return callback();
      const timer = setTimeout(() => {
        bannerTimers.delete(timer);
        callback();
      }, o.bannerDelayMs);
      bannerTimers.add(timer);
    },

    onMailFrom(_address, session, callback) {
      if (o.plainMail === 'refuse' && o.tls === 'starttls' && !session.secure) return callback(replyError(530, '5.7.0 Must issue a STARTTLS command first'));
      callback();
    },

    onAuth(auth, _session, callback) {
      const known = auth.username !== undefined && Object.hasOwn(o.users, auth.username);
      if (known && o.users[auth.username as string] === auth.password) return callback(null, { user: auth.username });
      callback(replyError(535, 'Authentication credentials invalid'));
    },

    onData(stream, session, callback) {
      const hash = createHash('sha256');
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      // The file is written with the stream's backpressure; a message cut short leaves its part in the
      // spool folder until the server closes.
      const file = spool?.open();
      let writeError: Error | undefined;
      if (file) {
        file.out.on('error', (error) => void (writeError ??= error)); // a full disk, or the folder removed at close
        stream.pipe(file.out);
      }
      // A client that leaves mid-body makes smtp-server destroy the stream: no 'end', nothing recorded.
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          if (file) file.out.once('close', () => spool?.drop(file.path));
          return callback(replyError(552, `Message exceeds fixed maximum message size ${o.sizeLimit}`));
        }
        const { mailFrom, rcptTo } = session.envelope;
        const message: SinkMessage = {
          from: mailFrom ? mailFrom.address : '',
          to: rcptTo.map((r) => r.address),
          bytes,
          sha256: hash.digest('hex'),
          session: sessionNumbers.get(session) ?? 0,
          ...(file ? { spooled: file.path } : {}),
        };
        const record = (): void => {
          accepted++;
          const gone = messages.push(message)?.spooled;
          if (gone) spool?.drop(gone);
          o.onMessage(message, { port: session.remotePort });
          callback();
        };
        const failed = (error: Error): void => callback(replyError(451, `Local error writing the message: ${error.message}`));
        if (!file) return record();
        if (writeError) return failed(writeError);
        // The 250 waits for the file: a test reading it after its client's send sees all of it.
        file.out.once('finish', record);
        file.out.once('error', failed);
      });
    },
  };

  const smtp = new PromptSMTPServer(smtpOptions);
  smtp.on('error', () => undefined); // client resets and the like: what happens under test is no bug of ours
  smtp.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    onceClosed(socket, () => {
      sockets.delete(socket);
      if (sockets.size === 0) settleIdle();
    });
  });

  await listenWithBacklog(smtp.server, o.port, o.host); // rejects on EADDRINUSE...
  const { port } = smtp.server.address() as AddressInfo;
  const idle = (): Promise<void> =>
    new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    });
  let closing: Promise<void> | undefined;

  return {
    url: `${o.tls === 'implicit' ? 'smtps' : 'smtp'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    host: o.host,
    port,
    messages: messages.view,
    accepted: () => accepted,
    ...(spool ? { spoolDir: spool.dir } : {}),
    connections: () => sockets.size,
    ...(o.tls === 'off'
      ? {
          accept(socket: Socket): boolean {
            if (closing) return false;
            // As the listener hands smtp-server an accepted socket (its connection handler), and counts it.
            smtp.server.emit('connection', socket);
            return true;
          },
        }
      : {}),
    idle,
    close: () =>
      (closing ??= (async () => {
        for (const timer of bannerTimers) clearTimeout(timer);
        bannerTimers.clear();
        // smtp-server's close() waits up to 30 s for sessions; destroying the sockets is the forced path.
        const stopped = new Promise<void>((resolve) => smtp.close(resolve));
        for (const socket of sockets) socket.destroy();
        await Promise.all([stopped, idle()]);
        await spool?.remove();
      })()),
  };
}
