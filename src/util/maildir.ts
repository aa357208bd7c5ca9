/**
 * What arrived in a Maildir the user names (`--maildir DIR`): the messages a run sent, counted the way
 * the real servers' launchers count them (./stored-copy.ts: the sent body and header fields, with what
 * the server added around them, line ends made LF on both sides, since an MTA may store LF:
 * ./line-ends.ts, which keeps the event loop free on large messages). Each message that arrived is
 * read as a stream into a summary (its header section, hashes, a bounded start and end), never kept
 * whole: what arrives in a command adds up (smtp/large against aiosmtpd: 448 MB in 10 files). Its end is
 * read again only where it may end with a sent message after something other than header fields.
 *
 *   watchMaildir(dir) ─► names already there (never counted) ─► countCopies(sent): poll new/ and cur/
 *                                                                until each has arrived, or a bound
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Content } from './content.js';
import { toLf } from './line-ends.js';
import { isSummaryCopy, type MessageSummary, summarize } from './stored-copy.js';

/** How long to wait for the sent messages to arrive, ms: a local delivery takes well under a second. */
export const MAILDIR_WAIT_MS = 5_000;
/** After the last one arrived, how long more for a second copy (a retry) to land, ms. */
const SETTLE_MS = 500;
const POLL_MS = 100;

/** What `countCopies` found. */
export interface MaildirCount {
  /** Per sent message, the files that are a copy of it. */
  readonly copies: readonly number[];
  /** Files of these messages in all (a copy, or a damaged one with the same Message-ID). */
  readonly stored: number;
}

/** A Maildir being watched from a point on: only messages delivered after that point count. */
export interface MaildirWatch {
  countCopies(sent: readonly Content[], waitMs?: number): Promise<MaildirCount>;
}

/** A message file's unique part: a reader that moves it from new/ to cur/ appends `:2,FLAGS`. */
const unique = (name: string): string => name.split(':')[0]!;

/** The unique names of the files in DIR/new and DIR/cur, with each file's path. */
async function listMaildir(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const name of names) if (!name.startsWith('.')) files.set(unique(name), join(dir, sub, name));
  }
  return files;
}

/** The Message-ID header line of a sent message (message.ts makes each unique), or undefined; only its header section is read. */
function messageId(sent: MessageSummary): Buffer | undefined {
  const found = /^Message-ID: <[^>\r\n]+>/im.exec((sent.header ?? sent.head).toString('latin1'));
  return found ? Buffer.from(found[0], 'latin1') : undefined;
}

/** The LF form of the file at `path`, a chunk at a time. */
const fileLf = (path: string): AsyncGenerator<Buffer> => toLf(createReadStream(path));

/** The SHA-256 (hex) of the LF form of the file at `path` from octet `from` on, or undefined when it cannot be read. */
async function sha256From(path: string, from: number): Promise<string | undefined> {
  const hash = createHash('sha256');
  let at = 0;
  try {
    for await (const piece of fileLf(path)) {
      if (at + piece.length > from) hash.update(piece.subarray(Math.max(0, from - at)));
      at += piece.length;
    }
  } catch {
    return undefined; // gone since (a reader deleted it)
  }
  return hash.digest('hex');
}

/** A message that arrived: its summary, and where it was last seen (a reader may move it from new/ to cur/). */
interface Arrival {
  readonly summary: MessageSummary;
  path: string;
  /** The SHA-256 of its LF form from an octet on, by that octet: each read of its end made once. */
  readonly ends: Map<number, Promise<string | undefined>>;
}

/** The SHA-256 of `arrival`'s LF form from octet `from` on, read once. */
function endOf(arrival: Arrival, from: number): Promise<string | undefined> {
  let end = arrival.ends.get(from);
  if (!end) {
    // Not read (moved between the listing and the read): asked again next time.
    end = sha256From(arrival.path, from).then((sha256) => {
      if (sha256 === undefined) arrival.ends.delete(from);
      return sha256;
    });
    arrival.ends.set(from, end);
  }
  return end;
}

/** Starts watching `dir`: what is there now is someone else's mail (or an earlier run's) and never counted. */
export async function watchMaildir(dir: string): Promise<MaildirWatch> {
  const before = new Set((await listMaildir(dir)).keys());
  /** Each message that arrived, by its unique name, read once though several runs look at once. */
  const arrivals = new Map<string, Promise<Arrival | undefined>>();
  /** The messages delivered since the watch began. */
  const arrived = async (): Promise<Arrival[]> => {
    const files = [...(await listMaildir(dir)).entries()].filter(([name]) => !before.has(name));
    const found = await Promise.all(
      files.map(async ([name, path]) => {
        let arrival = arrivals.get(name);
        if (!arrival) {
          arrival = summarize(fileLf(path)).then(
            (summary): Arrival => ({ summary, path, ends: new Map() }),
            () => {
              arrivals.delete(name); // moved to cur/ between the listing and the read: read on the next poll
              return undefined;
            },
          );
          arrivals.set(name, arrival);
        }
        const known = await arrival;
        if (known) known.path = path;
        return known;
      }),
    );
    return found.filter((arrival) => arrival !== undefined);
  };
  return {
    countCopies: async (sent, waitMs = MAILDIR_WAIT_MS) => {
      const wanted: MessageSummary[] = [];
      for (const message of sent) wanted.push(await summarize(toLf(message.inTurns())));
      const ids = wanted.map(messageId).filter((id): id is Buffer => id !== undefined);
      const count = async (stored: readonly Arrival[]): Promise<MaildirCount> => {
        const copies = await Promise.all(
          wanted.map(async (w) => {
            const of: boolean[] = [];
            for (const m of stored) of.push(await isSummaryCopy(m.summary, w, (from) => endOf(m, from)));
            return of;
          }),
        );
        // The Message-ID anywhere in its start: in its header, or after an empty line among trace fields.
        const ours = stored.filter((m, i) => ids.some((id) => m.summary.head.includes(id)) || copies.some((of) => of[i]));
        return { copies: copies.map((of) => of.filter(Boolean).length), stored: ours.length };
      };
      const deadline = Date.now() + waitMs;
      let found = await count(await arrived());
      while (found.copies.some((n) => n === 0) && Date.now() < deadline) {
        await delay(POLL_MS);
        found = await count(await arrived());
      }
      if (found.stored === 0) return found;
      await delay(SETTLE_MS);
      return count(await arrived());
    },
  };
}
