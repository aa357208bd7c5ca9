/** ftp-srv 4.6.3 internals the mock FTP server relies on (its .d.ts lists few of them), and shared bits. */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';

export type DataSocket = Socket & { connected?: boolean };
export interface Connector {
  readonly type: string | false;
  readonly socket: DataSocket | null;
  end(): void;
}
export interface Conn extends EventEmitter {
  readonly id: string;
  readonly commandSocket: Socket;
  connector: Connector;
  readonly commands: { handle(line: string): PromiseLike<unknown> };
  readonly encoding: BufferEncoding;
  username: string | undefined;
  close(code?: number, message?: string): PromiseLike<unknown>;
  reply(code: number, message?: string): PromiseLike<unknown>;
}
export interface Srv extends EventEmitter {
  readonly server: Server;
  readonly connections: Record<string, Conn>;
  disconnectClient(id: string): Promise<unknown>;
  listen(): Promise<unknown>;
}
export interface BluebirdStatic {
  new <T>(executor: (resolve: (value: T) => void, reject: (reason: Error) => void) => void): PromiseLike<T>;
  readonly TimeoutError: new (message?: string) => Error;
}

/** ftp-srv's own bluebird: its handlers call `.tap()` and catch `Promise.TimeoutError` on what we return. */
export const Bluebird = createRequire(createRequire(import.meta.url).resolve('ftp-srv'))('bluebird') as BluebirdStatic;
/** A bunyan-shaped logger that drops everything (ftp-srv logs every command and reply otherwise). */
export const SILENT_LOG: object = Object.freeze({
  child: () => SILENT_LOG,
  ...Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [level, () => undefined])),
});
export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
export const DATA_CONNECT_TIMEOUT_MS = 5_000; // STOR/RETR/LIST waiting for the data connection: then 425
export const PASSIVE_LISTEN_TIMEOUT_MS = 30_000; // a PASV listener nobody connects to
export const MAX_LINE = 8192;

/** An error ftp-srv turns into a reply with this code (where it reads `code`). */
export const replyError = (code: number, message: string): Error => Object.assign(new Error(message), { code });
