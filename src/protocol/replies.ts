/**
 * The server's side of a line protocol (SMTP, FTP), shared by both trackers: reply lines over arbitrary
 * chunking, the octets of a reply still in progress (a multi-line reply's earlier lines and an unfinished
 * line: the proxy needs them to cut a chunk exactly where a reply ends), and the steps waiting for a
 * reply, oldest first, which each final reply answers in turn. Pure: no sockets, no timers.
 *
 * A reply is kept whole (its lines, and its octets held back by a proxy that must catch it whole) up to
 * MAX_HELD_REPLY: a server may send a listing of megabytes as one reply (FTP's STAT of a folder), or
 * never end one. Past that, the lines before its last are only counted, and it is relayed as it comes.
 */
import { LineBuffer, type Line } from './lines.js';
import { StepQueue } from './step-queue.js';

/** Octets of a reply's lines before its last, kept and held back at most (see the header). */
export const MAX_HELD_REPLY = 64 * 1024;

/** A complete reply line, with its full length in octets (counting what came in earlier chunks). */
export interface ReplyLine extends Line {
  readonly bytes: number;
}

/**
 * A complete reply, marked at its final line: the step it answers (`to`), its code, `lines` (each
 * line's text after its code, the last always among them) and `omitted`, the lines left out before
 * the last past MAX_HELD_REPLY, when there were any. Each tracker's reply mark (./smtp.ts, ./ftp.ts).
 */
export interface ReplyMark {
  readonly kind: 'reply';
  readonly end: number;
  readonly to: string;
  readonly code: number;
  readonly lines: readonly string[];
  readonly omitted?: number;
}

/** A reply ended: the step it answers, its lines (the first ones and its last) and how many were left out between. */
export interface EndedReply {
  readonly to: string;
  readonly lines: readonly string[];
  readonly omitted: number;
}

export class Replies {
  readonly #lines = new LineBuffer();
  /** Steps awaiting a reply, oldest first: `greeting`, then upper-case verbs and the like. */
  readonly #awaiting = new StepQueue('greeting');
  /** Octets of the finished lines of the reply in progress. */
  #held = 0;
  /** Octets of an unfinished line carried from earlier chunks. */
  #carried = 0;
  /** The reply in progress: the text of its lines while within MAX_HELD_REPLY, and how many were left out. */
  #kept: string[] = [];
  #omitted = 0;

  /**
   * Octets of the reply in progress that a proxy holds back to catch it whole: its finished lines and an
   * unfinished line; only the unfinished line once the reply has outgrown MAX_HELD_REPLY.
   */
  get partialBytes(): number {
    return (this.#omitted > 0 ? 0 : this.#held) + this.#lines.partial.length;
  }

  /** The oldest step still waiting for a reply, if any. */
  get oldest(): string | undefined {
    return this.#awaiting.oldest;
  }

  /** The client sent `step`: it waits for a reply after those already waiting. */
  await(step: string): void {
    this.#awaiting.push(step);
  }

  /**
   * The proxy kept `step` from the server and answered it itself: the server will not reply to it. It is
   * the oldest such step still waiting, even with pipelined commands after it.
   */
  forget(step: string): void {
    this.#awaiting.remove(step);
  }

  /** Each complete line in `chunk`. Then, per line: `continues` or `ends`. */
  *lines(chunk: Buffer): Generator<ReplyLine> {
    let start = 0;
    try {
      for (const line of this.#lines.lines(chunk)) {
        const bytes = line.end - start + (start === 0 ? this.#carried : 0);
        start = line.end;
        this.#carried = 0;
        yield { text: line.text, end: line.end, bare: line.bare, bytes };
      }
    } finally {
      this.#carried = this.#lines.partialBytes;
    }
  }

  /** The line just read (`text`, `bytes` long) leaves its reply open: a multi-line reply goes on. */
  continues(text: string, bytes: number): void {
    this.#held += bytes;
    if (this.#held <= MAX_HELD_REPLY) this.#kept.push(text);
    else this.#omitted++;
  }

  /**
   * The line just read (`text`) ends a reply, to the oldest waiting step (`unsolicited` if none). A
   * final reply answers it; a preliminary one (`final` false: FTP's 1xx) leaves it waiting.
   */
  ends(text: string, final = true): EndedReply {
    const lines = this.#kept;
    lines.push(text);
    const omitted = this.#omitted;
    this.#held = this.#omitted = 0;
    this.#kept = [];
    const to = (final ? this.#awaiting.shift() : this.#awaiting.oldest) ?? 'unsolicited';
    return { to, lines, omitted };
  }
}
