/**
 * A session's transcript: timestamped lines per direction, faults and FIN/RST marked, credentials
 * redacted before they are ever stored (AUTH payloads, SASL lines, FTP PASS arguments).
 */

import type { Mark } from '../protocol/conversation.js';
import { MAX_HELD_REPLY } from '../protocol/replies.js';
import { redact } from '../util/redact.js';
import { visible } from '../util/terminal.js';

/** Lines of one reply kept in a transcript (the last one always among them). */
export const MAX_REPLY_LINES = 50;

/**
 * Lines a transcript keeps from its start, and from its end: a session that lives for thousands of
 * messages (a pooled client on `serve`) keeps a bounded transcript; the live log (`onLine`) has every line.
 */
export const TRANSCRIPT_HEAD = 1000;
export const TRANSCRIPT_TAIL = 1000;

/** Who a transcript line is about. */
export type Speaker = 'C' | 'S' | '!!' | '--' | '==';

/** Each speaker as a line shows it, two columns wide. */
const PADDED: Record<Speaker, string> = { C: 'C ', S: 'S ', '!!': '!!', '--': '--', '==': '==' };

/** Collects the lines of one session; body octets are summed into one line per run. */
export class Transcript {
  readonly #epoch: number;
  readonly #session: number;
  readonly #head: string[] = [];
  /** The newest lines past the head: a ring once full, `#oldest` its start. */
  readonly #tail: string[] = [];
  #oldest = 0;
  /** Lines between head and tail that were let go, and the first of them (its time and place). */
  #leftOut = 0;
  #firstLeftOut = '';
  readonly #onLine: ((line: string) => void) | undefined;
  readonly #onEntry: ((speaker: Speaker, text: string) => void) | undefined;
  #body = 0;
  /** ` #N `: the part of every line between its time and its speaker, made once. */
  readonly #tag: string;

  /**
   * `epoch`: the proxy's start (ms, performance.now()), so sessions of one run share a clock.
   * `onLine`: called with each line as it is written (live logs); `onEntry`: with its parts (a capture's notes).
   */
  constructor(epoch: number, session: number, onLine?: (line: string) => void, onEntry?: (speaker: Speaker, text: string) => void) {
    this.#epoch = epoch;
    this.#session = session;
    this.#tag = ` #${session} `;
    this.#onLine = onLine;
    this.#onEntry = onEntry;
  }

  /** The lines so far, a pending body run included. */
  get lines(): readonly string[] {
    this.#flushBody();
    if (this.#tail.length === 0) return this.#head;
    const tail = [...this.#tail.slice(this.#oldest), ...this.#tail.slice(0, this.#oldest)];
    if (this.#leftOut === 0) return [...this.#head, ...tail];
    const gap = `${this.#firstLeftOut.slice(0, this.#firstLeftOut.indexOf(' #'))} #${this.#session} -- ${this.#leftOut} lines left out here (the live log has them)`;
    return [...this.#head, gap, ...tail];
  }

  /** Records a client or server line, or a note (`!!` a fault, `--` a connection event). */
  add(speaker: Speaker, text: string): void {
    this.#flushBody();
    this.#push(speaker, text);
  }

  /** Counts body octets sent by the client. */
  body(bytes: number): void {
    this.#body += bytes;
  }

  #flushBody(): void {
    if (this.#body === 0) return;
    const bytes = this.#body;
    this.#body = 0;
    this.#push('C', `[message body: ${bytes} bytes]`);
  }

  #push(speaker: Speaker, text: string): void {
    const ms = (performance.now() - this.#epoch).toFixed(1).padStart(8);
    // Joined, not concatenated: one flat string. `+` and a template make a tree of its parts, some
    // 250 bytes for a line of 70, and a kept transcript holds its lines for as long as it is kept.
    const line = ['+', ms, 'ms', this.#tag, PADDED[speaker], ' ', text].join('');
    this.#keep(line);
    this.#onLine?.(line);
    this.#onEntry?.(speaker, text);
  }

  #keep(line: string): void {
    if (this.#head.length < TRANSCRIPT_HEAD) this.#head.push(line);
    else if (this.#tail.length < TRANSCRIPT_TAIL) this.#tail.push(line);
    else {
      if (this.#leftOut++ === 0) this.#firstLeftOut = this.#tail[this.#oldest]!;
      this.#tail[this.#oldest] = line;
      this.#oldest = (this.#oldest + 1) % TRANSCRIPT_TAIL;
    }
  }
}

/** Printable ASCII only: text that `printable` returns unchanged. */
const PLAIN = /^[\x20-\x7e]*$/;

/**
 * Peer text made safe for a terminal and unambiguous in a log: controls and every octet above 0x7e as
 * `\r`, `\t`, `\xNN` (lines are latin1, one character per octet: a Telnet IAC shows as `\xff`).
 */
export function printable(text: string): string {
  // Most protocol lines are plain printable ASCII, which both escapes leave as they are: one scan, not two.
  if (PLAIN.test(text)) return text;
  return visible(text).replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}

/** Writes a protocol mark as transcript lines: client lines redacted, body octets summed, replies line by line. */
export function recordMark(transcript: Transcript, mark: Mark): void {
  if (mark.kind === 'body') transcript.body(mark.end - mark.start);
  else if (mark.kind === 'dot') transcript.add('C', '.');
  else if (mark.kind === 'command') transcript.add('C', printable(redact(mark.line, mark.verb, 'continuation' in mark && mark.continuation === true)));
  else {
    // A hostile server may send a 5000-line reply: the first lines and the last are kept, the rest counted
    // (with those the tracker already left out of a reply past MAX_HELD_REPLY).
    const last = mark.lines.length - 1;
    const shown = Math.min(last, MAX_REPLY_LINES - 1);
    for (const line of mark.lines.slice(0, shown)) transcript.add('S', printable(`${mark.code}-${line}`));
    const more = last - shown + (mark.omitted ?? 0);
    if (more > 0) transcript.add('S', `${mark.code}-… ${more} more lines${mark.omitted ? ` (over ${MAX_HELD_REPLY / 1024} KiB: relayed as it came)` : ''}`);
    transcript.add('S', printable(`${mark.code} ${mark.lines[last]}`));
  }
}
