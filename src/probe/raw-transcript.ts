/**
 * The raw client's transcript: what went each way on one connection, as findings show it. Client lines
 * are redacted (AUTH payloads, PASS), server lines split at LF with control characters escaped, events
 * (`[closed by server]`, `[RST]`, `[timeout after N ms]`) in line with them, long lines cut and the
 * line count bounded so a chatty server cannot grow a finding without end.
 */
import { redact } from '../util/redact.js';
import { visible } from '../util/terminal.js';

/** Unread received octets beyond this end a connection (RawConnection): protects memory. */
export const MAX_UNREAD = 4 * 1024 * 1024;

/** Transcript events, as they appear in `received`. */
export const EVENTS = Object.freeze({
  closed: '[closed by server]',
  /** The probe closed it (destroy, reset, or closeOnTimeout). */
  local: '[closed by probe]',
  rst: '[RST]',
  refused: '[connection refused]',
  timeout: (ms: number): string => `[timeout after ${ms} ms]`,
  error: (code: string): string => `[error ${code}]`,
  /** The peer sent more than MAX_UNREAD without the reply the probe waited for (an endless reply). */
  overflow: `[over ${MAX_UNREAD / 1024 / 1024} MiB without a complete reply: closed by probe]`,
});

/** A transcript line longer than this is cut (its length noted). */
const MAX_SHOWN = 240;
/** At most this many lines per direction are kept per connection; later ones are counted. */
const MAX_LINES = 400;

/** Cuts a line for display. */
export function shown(line: string): string {
  return line.length <= MAX_SHOWN ? line : `${line.slice(0, MAX_SHOWN)}... (${line.length} chars)`;
}

/**
 * How written bytes appear in `sent`: split at CRLF, each line redacted (AUTH payloads, PASS), bare CR
 * and LF escaped (`\n.\n` stays visible).
 */
export function renderSent(text: string): string[] {
  const parts = text.split('\r\n');
  if (parts.at(-1) === '') parts.pop();
  // Lines written with an AUTH in one go (pipelined SASL responses) are credentials, all of them.
  let sasl = false;
  return parts.map((line) => {
    if (sasl) return '***';
    sasl = /^\s*AUTH\b/i.test(line);
    return shown(visible(redactLine(line)));
  });
}

/** Credentials out of one client line: `AUTH PLAIN ***`, `PASS ***`, `ACCT ***` (src/proxy/transcript.ts). */
export function redactLine(line: string): string {
  const verb = /^\s*([A-Za-z]+)/.exec(line)?.[1]?.toUpperCase() ?? '';
  return redact(line, verb);
}

/** `[N more received lines not kept]`, or nothing for none. */
const note = (n: number, what: 'sent' | 'received'): string[] => (n > 0 ? [`[${n} more ${what} lines not kept]`] : []);

/** One connection's transcript since the last take. `record` false keeps events only (data connections). */
export class Transcript {
  readonly #sent: string[] = [];
  readonly #received: string[] = [];
  /** Received text after the last LF, until its line ends (or an event or take closes it). */
  #partial = '';
  #dropped = { sent: 0, received: 0 };
  readonly #record: boolean;

  constructor(record: boolean) {
    this.#record = record;
  }

  /** Records one client line as shown (already redacted and cut). */
  sent(line: string): void {
    this.#log(this.#sent, line, 'sent');
  }

  /** Records received text (latin1), line by line; a bare LF is shown as `\n` at the line's end. */
  received(text: string): void {
    if (!this.#record) return;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#log(this.#received, shown(visible(line.endsWith('\r') ? line.slice(0, -1) : `${line}\\n`)), 'received');
  }

  /** Records an event (or a note) in `received`, recorded or not, after any unfinished line. */
  event(text: string): void {
    this.flush();
    this.#log(this.#received, text, 'received', true);
  }

  /** Records an unfinished received line as it is, marked `[no line end]`. */
  flush(): void {
    if (this.#partial === '') return;
    this.#log(this.#received, `${shown(visible(this.#partial))} [no line end]`, 'received');
    this.#partial = '';
  }

  /** The transcript so far, with a count of lines not kept, and starts a new one. */
  take(): { sent: string[]; received: string[] } {
    this.flush();
    const out = { sent: [...this.#sent, ...note(this.#dropped.sent, 'sent')], received: [...this.#received, ...note(this.#dropped.received, 'received')] };
    this.#sent.length = 0;
    this.#received.length = 0;
    this.#dropped = { sent: 0, received: 0 };
    return out;
  }

  /** Keeps `line` while under MAX_LINES, else counts it; an event (`always`) is kept past the bound, after the count so far. */
  #log(lines: string[], line: string, which: 'sent' | 'received', always = false): void {
    if (!this.#record && !always) return;
    if (lines.length < MAX_LINES) return void lines.push(line);
    if (!always) return void this.#dropped[which]++;
    // How the connection ended tells most: it follows however many lines came before.
    lines.push(...note(this.#dropped[which], which), line);
    this.#dropped[which] = 0;
  }
}

/** `[closed by server]`, `[RST]`, `[error CODE]`, or the overflow. */
export function endEvent(ending: { kind: 'closed' | 'rst' | 'error'; code?: string }): string {
  if (ending.code === 'ELOCAL') return EVENTS.local;
  if (ending.code === 'EOVERFLOW') return EVENTS.overflow;
  return ending.kind === 'closed' ? EVENTS.closed : ending.kind === 'rst' ? EVENTS.rst : EVENTS.error(ending.code ?? 'EUNKNOWN');
}
