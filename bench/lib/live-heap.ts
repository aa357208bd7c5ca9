/**
 * The live JavaScript heap of a Node daemon, read from outside: started with LIVE_HEAP_OPTIONS, it
 * writes a heap snapshot on SIGUSR2 (V8 collects all garbage first), and the snapshot's nodes' own
 * sizes add up to what is still reachable. RSS cannot tell a leak of a fraction of a KB per session:
 * between two collections it moves by tens of MB (measured here: +19, -23, +1, +3, +22 MB over five
 * runs of 2,000 sessions on one `serve smtp`); the live heap after a full collection moved by tens of KB.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory the daemon writes its snapshots to, and the NODE_OPTIONS that make it do so. */
export interface SnapshotDir {
  readonly nodeOptions: string;
  /** Asks `pid` for a snapshot; resolves with its live heap in octets once written (the file is removed). */
  liveHeap(pid: number): Promise<number>;
  remove(): Promise<void>;
}

/** Node's heap snapshot format: `nodes` is flat, `meta.node_fields` per node. */
interface HeapSnapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[] } };
  readonly nodes: readonly number[];
}

/** The sum of every node's self_size: the heap still reachable when the snapshot was taken. */
function reachable(text: string): number {
  const parsed = JSON.parse(text) as HeapSnapshot;
  const fields = parsed.snapshot.meta.node_fields;
  let total = 0;
  for (let i = fields.indexOf('self_size'); i < parsed.nodes.length; i += fields.length) total += parsed.nodes[i]!;
  return total;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Without it, SIGUSR2 ends a Node process. */
const HEAP_FLAG = '--heapsnapshot-signal=SIGUSR2';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long one snapshot may take to appear and be complete (a 15 MB heap takes about a second). */
const SNAPSHOT_BOUND_MS = 60_000;

export async function snapshotDir(): Promise<SnapshotDir> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-bench-heap-'));
  return {
    // Quoted: NODE_OPTIONS splits on spaces, and TMPDIR may hold one.
    nodeOptions: `${HEAP_FLAG} --diagnostic-dir="${dir}"`,
    async liveHeap(pid) {
      // A snapshot left by a call that gave up must not pass for this one's.
      for (const stale of await readdir(dir)) await rm(join(dir, stale), { force: true });
      process.kill(pid, 'SIGUSR2');
      const deadline = Date.now() + SNAPSHOT_BOUND_MS;
      let size = -1;
      while (Date.now() < deadline) {
        await delay(200);
        if (!alive(pid)) throw new Error(`process ${pid} exited before its heap snapshot (was it started with ${HEAP_FLAG}?)`);
        const [name] = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot'));
        if (name === undefined) continue;
        const path = join(dir, name);
        const now = (await stat(path)).size;
        // Written in one go by the daemon's main thread: complete once it stops growing and parses.
        if (now !== size || now === 0) {
          size = now;
          continue;
        }
        try {
          const live = reachable(await readFile(path, 'utf8'));
          await rm(path);
          return live;
        } catch {
          // Not complete yet: try again at the next poll.
        }
      }
      throw new Error(`no heap snapshot from process ${pid} within ${SNAPSHOT_BOUND_MS / 1000} s`);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
