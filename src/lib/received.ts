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
import { RecentItems } from '../util/recent-items.js';
import { WireprobeError } from '../util/errors.js';
import type { ProxyHandle } from '../proxy/proxy.js';

type Close = () => Promise<void>;

/** The proxied session a mock's record from client port `port` belongs to (0 before the proxy is attached). */
const sessionOf = (proxy: ProxyHandle | undefined, port: number): number => proxy?.sessionFrom(port) ?? 0;

/** The messages of a mock SMTP server (spooled: `spool: 'on'`), the last `keep` of them, as the mock keeps them. */
export class ReceivedMessages {
  readonly #messages: RecentItems<ReceivedMessage>;
  readonly #files = new WeakMap<ReceivedMessage, string>();
  readonly #waiters = new Waiters<ReceivedMessage>('message');
  #proxy: ProxyHandle | undefined;
  #closed = false;

  constructor(readonly keep: number) {
    this.#messages = new RecentItems(keep);
  }

  /** The mock SMTP server accepted `m` from the client port `from.port`. */
  readonly onMessage = (m: SinkMessage, from: { readonly port: number }): void => {
    const file = m.spooled;
    const message: ReceivedMessage = {
      from: m.from,
      to: m.to,
      bytes: m.bytes,
      sha256: m.sha256,
      session: sessionOf(this.#proxy, from.port),
      raw: () => (file ? this.#raw(file) : Promise.reject(new Error('the message was not spooled'))),
    };
    if (file) this.#files.set(message, file);
    this.#messages.push(message);
    this.#waiters.arrived(message);
  };

  /** A spooled message's content: gone once the server closed (ECLOSED), or once cleared or let go. */
  async #raw(file: string): Promise<Buffer> {
    try {
      return await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (this.#closed) throw new WireprobeError('the server closed: its messages are gone', 'ECLOSED');
      throw new Error('the message is gone: cleared (clearMessages) or let go (keep)');
    }
  }

  /** The SmtpMock over `proxy`; `close` stops the proxy and the mock. */
  attach(proxy: ProxyHandle, close: Close): SmtpMock {
    this.#proxy = proxy;
    const messages = this.#messages;
    const files = this.#files;
    const waiters = this.#waiters;
    return Object.assign(
      controllable(proxy, 'smtp', async () => {
        this.#closed = true;
        waiters.close();
        await close();
      }),
      {
        messages: messages.view,
        waitForMessage: (o?: { readonly timeout?: number; readonly count?: number }) => waiters.wait(o),
        clearMessages() {
          for (const m of messages.clear()) {
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
  readonly #uploads: RecentItems<ReceivedUpload>;
  readonly #waiters = new Waiters<ReceivedUpload>('upload');
  #proxy: ProxyHandle | undefined;
  #read: (path: string) => Buffer | undefined = () => undefined;
  #closed = false;

  constructor(readonly keep: number) {
    this.#uploads = new RecentItems(keep);
  }

  /** The mock FTP server stored `f` for the client port `from.port`. */
  readonly onStored = (f: StoredFile, from: { readonly port: number }): void => {
    const upload: ReceivedUpload = { ...f, session: sessionOf(this.#proxy, from.port), raw: async () => this.#raw(f.path) };
    this.#uploads.push(upload);
    if (upload.complete) this.#waiters.arrived(upload);
  };

  /** The file's current content; once the server closed its spool is gone (ECLOSED), never an empty file. */
  #raw(path: string): Buffer {
    if (this.#closed) throw new WireprobeError('the server closed: its files are gone', 'ECLOSED');
    return this.#read(path) ?? Buffer.alloc(0);
  }

  /** The FtpMock over `proxy`; `read`: a stored file's content (the mock's); `close` stops the proxy and the mock. */
  attach(proxy: ProxyHandle, read: (path: string) => Buffer | undefined, close: Close): FtpMock {
    this.#proxy = proxy;
    this.#read = read;
    const uploads = this.#uploads;
    const waiters = this.#waiters;
    return Object.assign(
      controllable(proxy, 'ftp', async () => {
        this.#closed = true;
        waiters.close();
        await close();
      }),
      {
        uploads: uploads.view,
        waitForUpload: (o?: { readonly timeout?: number; readonly count?: number }) => waiters.wait(o),
        clearUploads: () => void uploads.clear(),
      },
    );
  }
}
