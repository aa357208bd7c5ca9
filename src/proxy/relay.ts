/**
 * One direction of a relayed connection: what one side sent, queued until it may go on to the other.
 * The control session (./session.ts) has two, the FTP data connection (./data-link.ts) has two.
 *
 *   source ──data──► enqueue (carry: an unfinished line waits for its end) ──► queue
 *   queue ──pump──► walk (the owner cuts at marks or octets, fires faults) ──► forward ──► outlet ──► target
 *   source's FIN ──► once the queue is empty ──► FIN passed on through the outlet
 *
 * Pumping stops while the owner does not let bytes flow (held, ended, an edit in progress) and picks up
 * where it stopped on the next pump.
 */
import type { Socket } from 'node:net';
import type { Mark } from '../protocol/conversation.js';
import type { BufferFreer } from '../util/free-buffers.js';
import { Outlet } from './outlet.js';

/** A chunk waiting to be relayed, with its marks and how far it has been relayed. */
export interface Pending {
  /** Changed only by an edit (see Dialect.edit), before any of it is relayed past the edited line. */
  data: Buffer;
  readonly marks: Mark[];
  /** The next mark to walk. */
  next: number;
  /** Marks before this index were offered to Dialect.edit. */
  edited: number;
  /** Bytes before this offset were relayed (or swallowed). */
  pos: number;
  /** Where the line of mark `next` begins. */
  lineStart: number;
  /** Replies among `marks` already shown to the client (down direction). */
  shown: number;
}

/** What a relay direction needs from the connection it belongs to. */
export interface RelayOwner {
  /** Bytes may flow (the connection is open: not held, not ended). */
  flowing(): boolean;
  /**
   * Walks a queued chunk from where it stopped: cuts, fires faults, forwards up to the last cut.
   * Returns false when relaying stopped inside it (held, ended, an edit in progress).
   */
  walk(chunk: Pending): boolean;
  /** `n` bytes were handed to the outlet. */
  forwarded(n: number): void;
  /** The source's FIN has been passed on (everything before it relayed). */
  passedOn(): void;
  /** A replacement for the line ending at `mark` (see Dialect.edit), or null to relay it as it is; default none. */
  edit?(mark: Mark): Promise<Buffer | null> | null;
  /** The line ending at `mark` cannot be rewritten (`error`); relaying in this direction stays stopped. */
  editFailed?(mark: Mark, error: Error): void;
}

/** One direction of the relay: from `source` to `outlet`'s target. */
export class RelayDirection {
  readonly source: Socket;
  readonly outlet: Outlet;
  readonly queue: Pending[] = [];
  /** An unfinished line held back until its end arrives. */
  carry: Buffer = Buffer.alloc(0);
  /** The source sent its FIN. */
  ended = false;
  /** An edit of a line in this direction is being prepared: relaying waits. */
  editing = false;
  #passedOn = false;
  readonly #owner: RelayOwner;
  /** Whether a source paused by a full outlet resumes on drain: made once, not per forwarded chunk. */
  readonly #mayResume: () => boolean;

  /** `freer`: chunks relayed whole are freed once written (see Outlet); default none. */
  constructor(source: Socket, target: Socket, owner: RelayOwner, freer?: BufferFreer) {
    this.source = source;
    this.outlet = new Outlet(target, freer);
    this.#owner = owner;
    this.#mayResume = () => owner.flowing();
  }

  /** Bytes may flow in this direction now. */
  get flowing(): boolean {
    return !this.editing && this.#owner.flowing();
  }

  /** Queues `data` with its marks (none on a data connection). */
  enqueue(data: Buffer, marks: Mark[] = []): void {
    this.queue.push({ data, marks, next: 0, edited: 0, pos: 0, lineStart: 0, shown: 0 });
  }

  /** The source's FIN arrived: an unfinished line held back will never finish, so it goes as it is. */
  end(flush: boolean): void {
    this.ended = true;
    if (flush && this.carry.length > 0) {
      this.enqueue(this.carry);
      this.carry = Buffer.alloc(0);
    }
  }

  /** Server replies still queued here that the client was never shown (down direction). */
  heldReplies(): Extract<Mark, { kind: 'reply' }>[] {
    return this.queue.flatMap((p) => p.marks.slice(p.shown).filter((m): m is Extract<Mark, { kind: 'reply' }> => m.kind === 'reply'));
  }

  /** Relays queued chunks until done or stopped; then passes the FIN on if it came. */
  pump(): void {
    while (this.flowing && this.queue.length > 0) {
      const chunk = this.queue[0]!;
      if (!this.#owner.walk(chunk)) return;
      this.forward(chunk.pos === 0 ? chunk.data : chunk.data.subarray(chunk.pos));
      this.queue.shift();
    }
    if (this.ended && this.queue.length === 0 && this.flowing) this.#passOn();
  }

  /** Hands `bytes` to the outlet; a full outlet pauses the source until it drains, if bytes may still flow then. */
  forward(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#owner.forwarded(bytes.length);
    this.outlet.relay(bytes, this.source, this.#mayResume);
  }

  /**
   * Offers the line of `p`'s next mark to the owner's edit, once; true while a replacement is being
   * prepared: relaying waits, then resumes with the line replaced in `p`. (Once the connection ended, `p`
   * is no longer queued: the replacement changes nothing.)
   */
  offerEdit(p: Pending): boolean {
    if (p.edited !== p.next) return false;
    p.edited++;
    const mark = p.marks[p.next]!;
    const replacement = this.#owner.edit?.(mark);
    if (!replacement) return false;
    this.editing = true;
    void replacement.then(
      (line) => {
        this.editing = false;
        if (line !== null) {
          const by = line.length - (mark.end - p.lineStart);
          p.data = Buffer.concat([p.data.subarray(0, p.lineStart), line, p.data.subarray(mark.end)]);
          for (let i = p.next; i < p.marks.length; i++) p.marks[i] = shift(p.marks[i]!, by);
        }
        this.pump();
      },
      (error: unknown) => {
        this.editing = false;
        this.#owner.editFailed?.(mark, error as Error);
      },
    );
    return true;
  }

  /** Drops what is queued: the connection ended. The source is read on, and what it sends dropped. */
  drop(): void {
    this.queue.length = 0;
    this.source.resume();
  }

  #passOn(): void {
    if (this.#passedOn) return;
    this.#passedOn = true;
    this.outlet.end(() => this.#owner.passedOn());
  }
}

/** A mark with its offsets moved by `by` bytes (a carried partial line was put in front). */
export function shift(mark: Mark, by: number): Mark {
  if (by === 0) return mark;
  return mark.kind === 'body' ? { ...mark, start: mark.start + by, end: mark.end + by } : { ...mark, end: mark.end + by };
}
