/**
 * A request's JSON body, capped: octets past the cap are drained, not kept, and answered 413 once the
 * request ends (answering mid-upload makes many clients report a broken pipe instead of the answer).
 * A client that keeps sending far past the cap is cut off.
 */
import type { IncomingMessage } from 'node:http';
import { ControlError } from './errors.js';

/** How far past the cap a body is drained before the connection is destroyed. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/**
 * The body parsed as JSON. Refuses a body not declared `application/json`: a web page can send a
 * cross-origin POST with `text/plain` without asking first, but not one with `application/json`.
 */
export async function readJson(req: IncomingMessage, maxOctets: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxOctets + DRAIN_LIMIT) {
      req.socket.destroy();
      break;
    }
    if (total <= maxOctets) chunks.push(chunk);
  }
  if (total > maxOctets) throw new ControlError(413, 'ETOOLARGE', `request body of ${total}+ octets is over the cap of ${maxOctets}`);
  if (type !== 'application/json') {
    throw new ControlError(415, 'EMEDIATYPE', `expected a body with content-type application/json (got ${type === '' ? 'none' : JSON.stringify(type)})`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ControlError(400, 'EBADREQUEST', 'expected a JSON body, got an empty one');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ControlError(400, 'EBADREQUEST', `the body is not JSON: ${(error as Error).message}`);
  }
}
