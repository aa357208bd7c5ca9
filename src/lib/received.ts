/**
 * What arrived at a mock server behind the fault proxy, seen as the library's SmtpMock or FtpMock:
 * startSmtp/startFtp build theirs with it, and so does `serve --control` (whose log serve keeps writing).
 *
 *   mock ──onMessage / onStored──► Received* (the list, `keep` long) ──attach(proxy)──► SmtpMock | FtpMock
 *
 * Items arrive only through the proxy, which starts after the mock: the session a message came in is
 * looked up by the proxy's port toward the mock (the client port the mock saw) once it is attached.
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { StoredFile } from '../../servers/ftp.js';
import type { SinkMessage } from '../../servers/smtp.js';
import { controllable } from './controllable.js';
import type { FtpMock, ReceivedMessage, ReceivedUpload, SmtpMock } from './types.js';
import { Waiters } from './waiters.js';
import type { ProxyHandle } from '../proxy/proxy.js';

type Close = () => Promise<void>;

/** The proxied session a mock's record from client port `port` belongs to (0 before the proxy is attached). */
const sessionOf = (proxy: ProxyHandle | undefined, port: number): number => proxy?.sessionFrom(port) ?? 0;

/** The messages of a mock SMTP server (spooled: `spool: 'on'`), the last `keep` of them, as the mock keeps them. */
export class ReceivedMessages {
  readonly #messages: ReceivedMessage[] = [];
  readonly #files = new WeakMap<ReceivedMessage, string>();
  readonly #waiters = new Waiters<ReceivedMessage>('message');
  #proxy: ProxyHandle | undefined;

  constructor(readonly keep: number) {}

  /** The mock SMTP server accepted `m` from the client port `from.port`. */
  readonly onMessage = (m: SinkMessage, from: { readonly port: number }): void => {
    const file = m.spooled;
    const message: ReceivedMessage = {
      from: m.from,
      to: m.to,
      bytes: m.bytes,
      sha256: m.sha256,
      session: sessionOf(this.#proxy, from.port),
      raw: () => (file ? readFile(file) : Promise.reject(new Error('the message was not spooled'))),
    };
    if (file) this.#files.set(message, file);
    this.#messages.push(message);
    if (this.#messages.length > this.keep) this.#messages.shift();
    this.#waiters.arrived(message);
  };

  /** The SmtpMock over `proxy`; `close` stops the proxy and the mock. */
  attach(proxy: ProxyHandle, close: Close): SmtpMock {
    this.#proxy = proxy;
    const messages = this.#messages;
    const files = this.#files;
    const waiters = this.#waiters;
    return Object.assign(
      controllable(proxy, 'smtp', async () => {
        waiters.close();
        await close();
      }),
      {
        messages,
        waitForMessage: (o?: { readonly timeout?: number; readonly count?: number }) => waiters.wait(o),
        clearMessages() {
          for (const m of messages.splice(0)) {
            const file = files.get(m);
            if (file) rmSync(file, { force: true });
          }
        },
      },
    );
  }
}

/** The uploads of a mock FTP server, the last `keep` of them, as the mock keeps them. */
export class ReceivedUploads {
  readonly #uploads: ReceivedUpload[] = [];
  readonly #waiters = new Waiters<ReceivedUpload>('upload');
  #proxy: ProxyHandle | undefined;
  #read: (path: string) => Buffer | undefined = () => undefined;

  constructor(readonly keep: number) {}

  /** The mock FTP server stored `f` for the client port `from.port`. */
  readonly onStored = (f: StoredFile, from: { readonly port: number }): void => {
    const upload: ReceivedUpload = { ...f, session: sessionOf(this.#proxy, from.port), raw: async () => this.#read(f.path) ?? Buffer.alloc(0) };
    this.#uploads.push(upload);
    if (this.#uploads.length > this.keep) this.#uploads.shift();
    if (upload.complete) this.#waiters.arrived(upload);
  };

  /** The FtpMock over `proxy`; `read`: a stored file's content (the mock's); `close` stops the proxy and the mock. */
  attach(proxy: ProxyHandle, read: (path: string) => Buffer | undefined, close: Close): FtpMock {
    this.#proxy = proxy;
    this.#read = read;
    const uploads = this.#uploads;
    const waiters = this.#waiters;
    return Object.assign(
      controllable(proxy, 'ftp', async () => {
        waiters.close();
        await close();
      }),
      {
        uploads,
        waitForUpload: (o?: { readonly timeout?: number; readonly count?: number }) => waiters.wait(o),
        clearUploads: () => void uploads.splice(0),
      },
    );
  }
}
