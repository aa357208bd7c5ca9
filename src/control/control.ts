/**
 * The control API: a small HTTP JSON server that arms faults on a running mock and reports what it
 * received, so a test in any language can drive wireprobe (as toxiproxy's API does for its proxies).
 *
 *   request ──Host check──► route (routes.ts) ──► handler ──► Answer ──► JSON | raw octets | 204
 *                                │                  └─ throws ControlError ──► { error: { code, message } }
 *                                └─ 404 / 405
 *
 * Loopback by default: whoever reaches it can change what the mock does and read what it received.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { isLoopback } from '../commands/args.js';
import type { FtpMock, SmtpMock } from '../lib/types.js';
import { ControlError, oneLine, sendError, sendJson } from './errors.js';
import { route, type Answer, type Target } from './routes.js';

export interface ControlOptions {
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Largest request body accepted (413 past it); default 64 KiB. */
  readonly maxBodyOctets?: number;
}

const DEFAULTS = { host: '127.0.0.1', port: 0, maxBodyOctets: 64 * 1024 } as const satisfies Required<ControlOptions>;

/** A running control API. */
export interface ControlServer {
  /** `http://HOST:PORT`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends every connection to it (not the mock it controls). Idempotent. */
  close(): Promise<void>;
}

/** The host name of a Host header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`), or undefined when unreadable. */
function hostName(header: string): string | undefined {
  try {
    return new URL(`http://${header}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (answer.status === 204) res.writeHead(204).end();
  else if ('raw' in answer) res.writeHead(200, { 'content-type': answer.type, 'content-length': String(answer.raw.length) }).end(answer.raw);
  else sendJson(res, answer.status, answer.json);
}

/** Starts the control API for `mock` (an SMTP or FTP mock from startSmtp/startFtp). */
export async function startControl(mock: SmtpMock | FtpMock, options: ControlOptions = {}): Promise<ControlServer> {
  const { host, port, maxBodyOctets } = { ...DEFAULTS, ...options };
  const target: Target = 'messages' in mock ? { protocol: 'smtp', mock } : { protocol: 'ftp', mock };
  const loopback = isLoopback(host);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      // A page on another site that re-points its own name at 127.0.0.1 (DNS rebinding) still sends its name.
      const name = req.headers.host === undefined ? undefined : hostName(req.headers.host);
      if (loopback && req.headers.host !== undefined && (name === undefined || !isLoopback(name))) {
        throw new ControlError(
          403,
          'EFORBIDDEN',
          `Host ${JSON.stringify(req.headers.host)} is not loopback: this API answers only requests addressed to loopback`,
        );
      }
      const { handler, params } = route(method, path, target.protocol);
      send(res, await handler({ target, req, params, maxBodyOctets }));
    } catch (error) {
      const answer =
        error instanceof ControlError
          ? error
          : new ControlError(500, 'EINTERNAL', `wireprobe's own failure: ${oneLine((error as Error)?.message ?? String(error))}`);
      if (!res.headersSent) sendError(res, answer);
      else res.destroy();
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound}`,
    host,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
