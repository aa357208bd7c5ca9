/**
 * Test messages: exact size, CRLF lines under 78 octets, no line starting with a dot, so what the
 * server stores is byte for byte what was sent and its SHA-256 can be compared at the sink.
 */
import { randomFillSync } from 'node:crypto';
import { sha256Of } from '../util/digest.js';

/** A message and its fingerprint. */
export interface TestMessage {
  readonly data: Buffer;
  readonly sha256: string;
}

/** The fingerprint of `data` as the server should store it. */
export function fingerprint(data: Buffer): TestMessage {
  return { data, sha256: sha256Of(data) };
}

const LINE = 'The quick brown fox jumps over the lazy dog while wireprobe counts octets.\r\n';
/** Lines a client must dot-stuff (RFC 5321 §4.5.2), a lone dot among them: unstuffed, it ends DATA. */
const DOTS = '.leading dot on a line of its own that the client must double before sending.....\r\n.\r\n';

/** `plain`: text lines. `dots`: lines starting with a dot, a lone `.` line among them. */
export type MessageShape = 'plain' | 'dots';

function headers(id: string, subjectPad: number): string {
  const tag = id.replace(/[^\w.-]/g, '.');
  // Date and Message-ID present, so clients that add missing ones (msmtp) send the message as is.
  return `Date: Mon, 23 Nov 2026 00:00:00 +0000\r\nFrom: <sender@wireprobe.test>\r\nTo: <sink@wireprobe.test>\r\nSubject: wireprobe ${id}${'.'.repeat(subjectPad)}\r\nMessage-ID: <${tag}@wireprobe.test>\r\n\r\n`;
}

/** Builds a message of exactly `bytes` octets (or just its headers when smaller), tagged with `id`. */
export function makeMessage(id: string, bytes: number, shape: MessageShape = 'plain'): TestMessage {
  const line = shape === 'dots' ? DOTS : LINE;
  // A last partial line needs 2 octets for its CRLF; a single spare octet goes into the subject.
  const spare = (bytes - headers(id, 0).length) % line.length === 1 ? 1 : 0;
  const head = headers(id, spare);
  const room = Math.max(0, bytes - head.length);
  const rest = room % line.length;
  const tail = rest >= 2 ? `${'x'.repeat(rest - 2)}\r\n` : '';
  // Filled in place, not built as a string: a string stops at 512 MiB (V8's limit), a scenario may ask for 4 GiB.
  const data = Buffer.allocUnsafe(head.length + room - rest + tail.length);
  const body = data.write(head, 'latin1');
  const lines = room - rest;
  if (lines > 0) data.fill(line, body, body + lines, 'latin1');
  data.write(tail, body + lines, 'latin1');
  return fingerprint(data);
}

/** Octets filled by one call to the random source at most: one call stops at 2 GiB - 1. */
const RANDOM_PIECE = 1024 * 1024 * 1024;

/**
 * `bytes` random octets, a file for an FTP scenario: filled a piece of `piece` octets at a time, as
 * randomBytes refuses more than 2 GiB - 1 and a scenario may ask for 4 GiB.
 */
export function randomContent(bytes: number, piece = RANDOM_PIECE): Buffer {
  const data = Buffer.alloc(bytes);
  // A view per piece: the source also refuses an offset past 2 GiB - 1.
  for (let at = 0; at < bytes; at += piece) randomFillSync(data.subarray(at, Math.min(at + piece, bytes)));
  return data;
}
