/**
 * A Fault back to the command line's short syntax (parse.ts), for reports, transcripts and `--fault`
 * suggestions. Canonical: lower-case keywords, the largest whole unit, options in a fixed order, and
 * only the fields the fault has (`parseFault(formatFault(f))` deep-equals `f`).
 *
 *   { kind: 'reply', code: 552, text: 'Too big', at: { after: 'DATA', bytes: 1048576 }, then: 'close' }
 *     ──► reply 552 "Too big" after DATA +1MiB then close
 */
import { formatSize } from '../util/units.js';
import type { At } from './base.js';
import { descriptorOf, type Fault } from './registry.js';

/** A trigger: `on connect`, `after DATA +64KiB`, `after BDAT +64KiB`, `before reply to RCPT`, `before reply to BDAT LAST`, `before dot`. */
export function formatAt(at: At): string {
  if (at === 'connect') return 'on connect';
  if ('to' in at) return `before reply to ${at.to}`;
  if ('before' in at) return `before ${at.before}`;
  return at.bytes === undefined ? `after ${at.after}` : `after ${at.after} +${formatSize(at.bytes)}`;
}

/**
 * The canonical short syntax of a fault: kind and arguments, the trigger (left out when it is the
 * kind's default, `connect`), then the kind's own options (`then`, `drop`), `toward`, `channel`,
 * `connection`. Steps are written as they are, so the round trip holds for the normalised steps
 * parseFault makes.
 */
export function formatFault(f: Fault): string {
  const d = descriptorOf(f.kind);
  const parts = [f.kind, ...d.format(f)];
  if (!(f.at === 'connect' && d.trigger !== 'required')) parts.push(formatAt(f.at));
  const own = f as unknown as Readonly<Record<string, unknown>>;
  for (const { word } of d.options ?? []) if (own[word] !== undefined) parts.push(word, String(own[word]));
  if (f.toward !== undefined) parts.push('toward', f.toward);
  if (f.channel !== undefined) parts.push('channel', f.channel);
  if (f.connection !== undefined) parts.push('connection', String(f.connection));
  return parts.join(' ');
}
