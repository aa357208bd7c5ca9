/**
 * Test messages: exact size, CRLF lines under 78 octets, no line starting with a dot, so what the
 * server stores is byte for byte what was sent and its SHA-256 can be compared at the sink.
 */
import { type Content, contentOf, joined, repeated } from '../util/content.js';

export { randomContent } from '../util/content.js';

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

/**
 * A message of exactly `bytes` octets (or just its headers when smaller), tagged with `id`: made as it
 * is read (../util/content.ts), never held whole, so a scenario may ask for 4 GiB.
 */
export function makeMessage(id: string, bytes: number, shape: MessageShape = 'plain'): Content {
  const line = shape === 'dots' ? DOTS : LINE;
  // A last partial line needs 2 octets for its CRLF; a single spare octet goes into the subject.
  const spare = (bytes - headers(id, 0).length) % line.length === 1 ? 1 : 0;
  const head = headers(id, spare);
  const room = Math.max(0, bytes - head.length);
  const rest = room % line.length;
  const tail = rest >= 2 ? `${'x'.repeat(rest - 2)}\r\n` : '';
  const latin1 = (text: string): Content => contentOf(Buffer.from(text, 'latin1'));
  return joined([latin1(head), repeated(Buffer.from(line, 'latin1'), (room - rest) / line.length), latin1(tail)]);
}
