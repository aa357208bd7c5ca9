/**
 * What arrived in a Maildir the user names (`--maildir DIR`): the messages a run sent, counted as the
 * real servers' stored messages are (./stored-copies.ts: each file read once as a stream into a
 * summary, never kept whole; a copy is the sent message with what the server added around it, line
 * ends made LF on both sides, ./stored-copy.ts). What arrives in a command adds up (smtp/large against
 * aiosmtpd: 448 MB in 10 files).
 *
 *   watchMaildir(dir) ─► names already there (never counted) ─► countCopies(sent): poll new/ and cur/
 *                                                                until each has arrived, or a bound
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Content } from './content.js';
import { type StoredCount, StoredCopies, type StoredMessage, sentSummaries } from './stored-copies.js';

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

/**
 * The message files in DIR/new and DIR/cur (`tmp/` holds deliveries in progress), each by its unique
 * name: one a reader moved to cur/ between the two listings is there once, where it was seen last.
 */
export async function maildirFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const name of names) if (!name.startsWith('.')) files.set(unique(name), join(dir, sub, name));
  }
  return files;
}

/** The messages in DIR/new and DIR/cur, each by its unique name, read from where it is now. */
async function listMaildir(dir: string): Promise<StoredMessage[]> {
  return [...(await maildirFiles(dir))].map(([name, path]) => ({ name, read: () => createReadStream(path) }));
}

/** Starts watching `dir`: what is there now is someone else's mail (or an earlier run's) and never counted. */
export async function watchMaildir(dir: string): Promise<MaildirWatch> {
  const before = new Set((await listMaildir(dir)).map((message) => message.name));
  /** Each message that arrived, read once though several runs look at once. */
  const arrivals = new StoredCopies({ lineEnds: 'any' });
  /** The messages delivered since the watch began. */
  const arrived = async (): Promise<StoredMessage[]> => (await listMaildir(dir)).filter((message) => !before.has(message.name));
  return {
    countCopies: async (sent, waitMs = MAILDIR_WAIT_MS) => {
      const wanted = await sentSummaries(sent);
      const count = async (): Promise<MaildirCount> => {
        const { copies, ours }: StoredCount = await arrivals.count(await arrived(), wanted);
        return { copies, stored: ours };
      };
      const deadline = Date.now() + waitMs;
      let found = await count();
      while (found.copies.some((n) => n === 0) && Date.now() < deadline) {
        await delay(POLL_MS);
        found = await count();
      }
      if (found.stored === 0) return found;
      await delay(SETTLE_MS);
      return count();
    },
  };
}
