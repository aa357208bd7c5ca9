/**
 * The server's side of a line protocol (SMTP, FTP), shared by both trackers: reply lines over arbitrary
 * chunking, the octets of a reply still in progress (a multi-line reply's earlier lines and an unfinished
 * line: the proxy needs them to cut a chunk exactly where a reply ends), and the steps waiting for a
 * reply, oldest first, which each final reply answers in turn. Pure: no sockets, no timers.
 */
import { LineBuffer, type Line } from './lines.js';

/** A complete reply line, with its full length in octets (counting what came in earlier chunks). */
export interface ReplyLine extends Line {
  readonly bytes: number;
}

export class Replies {
  readonly #lines = new LineBuffer();
  /** Steps awaiting a reply, oldest first: `greeting`, then upper-case verbs and the like. */
  readonly #awaiting: string[] = ['greeting'];
  /** Octets of the finished lines of the reply in progress. */
  #held = 0;
  /** Octets of an unfinished line carried from earlier chunks. */
  #carried = 0;

  /** Octets of the reply in progress: its finished lines and an unfinished line. */
  get partialBytes(): number {
    return this.#held + this.#lines.partial.length;
  }

  /** The oldest step still waiting for a reply, if any. */
  get oldest(): string | undefined {
    return this.#awaiting[0];
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
    const i = this.#awaiting.indexOf(step);
    if (i !== -1) this.#awaiting.splice(i, 1);
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

  /** The line just read (`bytes` long) leaves its reply open: a multi-line reply goes on. */
  continues(bytes: number): void {
    this.#held += bytes;
  }

  /**
   * The line just read ends a reply, to the oldest waiting step (`unsolicited` if none). A final reply
   * answers it; a preliminary one (`final` false: FTP's 1xx) leaves it waiting.
   */
  ends(final = true): string {
    this.#held = 0;
    return (final ? this.#awaiting.shift() : this.#awaiting[0]) ?? 'unsolicited';
  }
}
