/**
 * What arrived in a Maildir the user names (`--maildir DIR`): the messages a run sent, counted the way
 * the real servers' launchers count them (./stored-copy.ts: the sent body and header fields, with what
 * the server added around them, line ends made LF on both sides, since an MTA may store LF:
 * ./line-ends.ts, which keeps the event loop free on large messages).
 *
 *   watchMaildir(dir) ─► names already there (never counted) ─► countCopies(sent): poll new/ and cur/
 *                                                                until each has arrived, or a bound
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Content } from './content.js';
import { crlfToLf, crlfToLfEach } from './line-ends.js';
import { isStoredCopy } from './stored-copy.js';

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

/** The Message-ID header line of a sent message, LF line ends (message.ts makes each unique), or undefined; only its header is read. */
function messageId(sent: Buffer): Buffer | undefined {
  const end = sent.indexOf('\n\n');
  const found = /^Message-ID: <[^>\r\n]+>/im.exec(sent.subarray(0, end < 0 ? sent.length : end).toString('latin1'));
  return found ? Buffer.from(found[0], 'latin1') : undefined;
}

/** Starts watching `dir`: what is there now is someone else's mail (or an earlier run's) and never counted. */
export async function watchMaildir(dir: string): Promise<MaildirWatch> {
  const before = new Set((await listMaildir(dir)).keys());
  const contents = new Map<string, Buffer>();
  /** The messages delivered since the watch began, each read once. */
  const arrived = async (): Promise<Buffer[]> => {
    const files = [...(await listMaildir(dir)).entries()].filter(([name]) => !before.has(name));
    for (const [name, path] of files) {
      if (contents.has(name)) continue;
      // Moved to cur/ between the listing and the read: read on the next poll.
      const data = await readFile(path).catch(() => undefined);
      if (data) contents.set(name, await crlfToLf(data));
    }
    return files.flatMap(([name]) => contents.get(name) ?? []);
  };
  return {
    countCopies: async (sent, waitMs = MAILDIR_WAIT_MS) => {
      const wanted = await crlfToLfEach(sent);
      const ids = wanted.map(messageId).filter((id): id is Buffer => id !== undefined);
      const count = (stored: readonly Buffer[]): MaildirCount => {
        const ours = stored.filter((m) => ids.some((id) => m.includes(id)) || wanted.some((w) => isStoredCopy(m, w)));
        return { copies: wanted.map((w) => ours.filter((m) => isStoredCopy(m, w)).length), stored: ours.length };
      };
      const deadline = Date.now() + waitMs;
      let found = count(await arrived());
      while (found.copies.some((n) => n === 0) && Date.now() < deadline) {
        await delay(POLL_MS);
        found = count(await arrived());
      }
      if (found.stored === 0) return found;
      await delay(SETTLE_MS);
      return count(await arrived());
    },
  };
}
