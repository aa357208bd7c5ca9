/**
 * The text a client module hands wireprobe (a resolved detail, an error's codes and message, what it
 * left uncaught) made safe to keep: the job's secrets masked, and read without ever throwing, whatever
 * the module threw (`throw Object.create(null)` has no string form).
 */
import { visible } from '../util/terminal.js';

/** What a masked secret becomes. */
const MASK = '***';

/** `text` with each (non-empty) secret replaced by `***`, longest first so no part of one survives. */
export function masked(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret !== '') out = out.split(secret).join(MASK);
  return out;
}

/**
 * What a module threw, as text for people: its string `message`, else its string form; undefined when
 * it has neither (`throw Object.create(null)`). Never throws itself (a getter that throws, a Proxy).
 */
export function thrownText(thrown: unknown): string | undefined {
  try {
    const message = (typeof thrown === 'object' || typeof thrown === 'function') && thrown !== null ? (thrown as { message?: unknown }).message : undefined;
    if (typeof message === 'string') return message;
    return String(thrown);
  } catch {
    return undefined;
  }
}

/** `thrownText` on one line, masked, escaped and cut: what a report or stderr line quotes. */
export function thrownLine(thrown: unknown, secrets: readonly string[]): string {
  const line = masked(thrownText(thrown) ?? 'a value that is not an Error', secrets)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return visible(line.length > 300 ? `${line.slice(0, 300)}…` : line);
}
