/**
 * The control API's error answers: an HTTP status and a literal code, sent as
 * `{ "error": { "code": "EBADREQUEST", "message": "one line" } }`. Thrown inside a request's handler
 * and caught by the server (control.ts), never out of this folder.
 */
import type { ServerResponse } from 'node:http';

/** Every code an error answer carries, by its status. */
export type ControlErrorCode =
  /** 400: the body is not JSON, or not the shape the endpoint takes. */
  | 'EBADREQUEST'
  /** 400: a fault in the CLI's syntax (or its object form) that does not parse. */
  | 'EFAULTSYNTAX'
  /** 403: a Host header that is not loopback on a loopback API (a DNS-rebinding page). */
  | 'EFORBIDDEN'
  /** 404: no such route, or no such message or upload. */
  | 'ENOTFOUND'
  /** 405: the route exists, the method does not (the `Allow` header lists the ones that do). */
  | 'EMETHOD'
  /** 413: a request body over the cap. */
  | 'ETOOLARGE'
  /** 415: a body that is not declared `application/json`. */
  | 'EMEDIATYPE'
  /** 500: wireprobe's own failure. */
  | 'EINTERNAL';

/** An error answer, thrown by a handler and sent by the server. */
export class ControlError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 413 | 415 | 500,
    readonly code: ControlErrorCode,
    message: string,
    /** Extra response headers (405's `Allow`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** One line, cut: what peers and users send is echoed in messages, and must not grow them unbounded. */
export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ');
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Sends `value` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) });
  res.end(body);
}

/** Sends an error answer. */
export function sendError(res: ServerResponse, error: ControlError): void {
  sendJson(res, error.status, { error: { code: error.code, message: oneLine(error.message) } }, error.headers);
}
