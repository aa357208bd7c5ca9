/**
 * Session rows, `wireprobe serve smtp` (proxy + mock, one process) against smtp-sink, and `serve ftp`:
 *
 *   idle sessions   open N connections at once, count those greeted with 220 within a bound, and read
 *                   each server's RSS while it holds them
 *   ftp idle        `serve ftp` the same, the N opened in batches: the CPU per session of the last batch
 *                   against the second's (the first warms up) tells a session that costs more the more are open
 *   growth          `serve smtp --keep 0`'s live heap (a heap snapshot, ../lib/live-heap.ts) after each run,
 *                   run to run of each kind after a warm-up: per session (smtp-source, a new connection per
 *                   message), per message (smtp-source, connections reused) and per message of one session
 *                   held open across the runs (../lib/held-session.ts); smtp-sink's RSS around the same runs
 *   ftp growth      `serve ftp --keep 0`'s live heap the same way, per transfer of one FTP session held
 *                   open (../lib/held-ftp-session.ts)
 */
import net, { type Socket } from 'node:net';
import { holdFtpSession, type HeldFtpSession } from '../lib/held-ftp-session.js';
import { holdSession, type HeldSession } from '../lib/held-session.js';
import { snapshotDir, type SnapshotDir } from '../lib/live-heap.js';
import { benchChild, cpuSeconds, freePort, have, memory, serve, smtpSink, timed, type Daemon } from '../lib/procs.js';
import { median, spread, type BenchRow } from '../lib/stats.js';

export interface SessionOptions {
  /** Idle sessions held at once. */
  readonly idleSessions: number;
  /** Messages (and, in the per-session leg, sessions) per run of the growth row. */
  readonly messages: number;
}

/** Opens `count` connections to `port`; resolves with how many were greeted with 220 within `boundMs` and the sockets. */
async function holdIdle(port: number, count: number, boundMs: number): Promise<{ greeted: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let greeted = 0;
  const all = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, boundMs);
    for (let i = 0; i < count; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      sockets.push(socket);
      socket.on('error', () => undefined);
      let seen = '';
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString('latin1');
        if (/^220[ -]/m.test(seen)) {
          socket.off('data', onData);
          if (++greeted === count) {
            clearTimeout(timer);
            resolve();
          }
        }
      };
      socket.on('data', onData);
    }
  });
  await all;
  return { greeted, sockets };
}

async function idleRow(options: SessionOptions, sink: Daemon | undefined): Promise<BenchRow> {
  const what = `${options.idleSessions} idle sessions held at once`;
  const wp = await serve('smtp');
  try {
    const ours = await holdIdle(wp.port, options.idleSessions, 30_000);
    const ourRss = await memory(wp.pid, 'VmRSS');
    for (const s of ours.sockets) s.destroy();
    let anchor = 'smtp-sink missing: apt-get install postfix';
    let met: boolean | undefined = ours.greeted === options.idleSessions ? undefined : false;
    if (sink) {
      const theirs = await holdIdle(sink.port, options.idleSessions, 30_000);
      const sinkRss = await memory(sink.pid, 'VmRSS');
      for (const s of theirs.sockets) s.destroy();
      anchor = `smtp-sink ${theirs.greeted} greeted, RSS ${(sinkRss / 2 ** 20).toFixed(0)} MiB`;
      met = ours.greeted === options.idleSessions && ourRss <= 0.5 * sinkRss;
    }
    return { what, ours: `${ours.greeted} greeted, RSS ${(ourRss / 2 ** 20).toFixed(0)} MiB`, anchor, goal: 'all greeted, RSS <= 0.5x smtp-sink', met };
  } finally {
    await wp.stop();
  }
}

/** Batches the FTP idle row opens its sessions in; the first warms up. */
const FTP_IDLE_BATCHES = 5;

/**
 * `serve ftp` holding N idle sessions, opened a batch at a time, each batch greeted before the next.
 * Before Dec 6, a session cost more the more were open: the proxy bound each onward connection to its
 * client's address, which made the system search for a port free to bind, and ftp-srv counted its
 * sessions with Object.keys, both as each one started. No anchor: vsftpd runs a process per session.
 */
async function ftpIdleRow(options: SessionOptions): Promise<BenchRow> {
  const perBatch = Math.ceil(options.idleSessions / FTP_IDLE_BATCHES);
  const total = perBatch * FTP_IDLE_BATCHES;
  const what = `serve ftp: ${total} idle sessions held at once, opened ${perBatch} at a time; CPU per session, batch by batch`;
  const wp = await serve('ftp');
  const sockets: Socket[] = [];
  try {
    let greeted = 0;
    const cpuMs: number[] = [];
    for (let b = 0; b < FTP_IDLE_BATCHES; b++) {
      const before = await cpuSeconds(wp.pid);
      const batch = await holdIdle(wp.port, perBatch, 30_000);
      sockets.push(...batch.sockets);
      cpuMs.push((((await cpuSeconds(wp.pid)) - before) * 1000) / perBatch);
      greeted += batch.greeted;
    }
    const rss = await memory(wp.pid, 'VmRSS');
    const growth = cpuMs.at(-1)! / cpuMs[1]!;
    return {
      what,
      ours: `${greeted} greeted, RSS ${(rss / 2 ** 20).toFixed(0)} MiB; ${cpuMs.map((ms) => ms.toFixed(2)).join(', ')} ms: the last batch ${growth.toFixed(2)}x the second`,
      anchor: 'none (vsftpd runs a process per session)',
      goal: 'all greeted, the last batch <= 1.5x the second',
      met: greeted === total && growth <= 1.5,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await wp.stop();
  }
}

/** Runs of smtp-source against the library's startSmtp in the row below; the first warms up. */
const LIB_RUNS = 6;

/**
 * The library's `startSmtp` with its defaults (every message and session kept, as a user's test keeps
 * them), LIB_RUNS runs of `messages` each with a new connection per message: its CPU per message run
 * by run. Before Dec 6 each message looked its session up by building the record of every session
 * kept, so a message cost more the more had come before: 4.5 ms of CPU per message in the first 2,000,
 * 52 ms by the 12,000th.
 */
async function libraryRow(options: SessionOptions): Promise<BenchRow> {
  const what = `startSmtp (the library, defaults: everything kept): ${LIB_RUNS} runs of ${options.messages} messages, a connection each; CPU per message, run by run`;
  const heap = await snapshotDir();
  const lib = await benchChild(new URL('./lib-smtp-child.ts', import.meta.url), [], heap.nodeOptions);
  try {
    const cpuMs: number[] = [];
    let heapAfterFirst = 0;
    for (let run = 0; run < LIB_RUNS; run++) {
      const before = await cpuSeconds(lib.pid);
      await source(lib, ['-s', '10', '-m', String(options.messages), '-l', '1024']);
      cpuMs.push((((await cpuSeconds(lib.pid)) - before) * 1000) / options.messages);
      if (run === 0) heapAfterFirst = await heap.liveHeap(lib.pid);
    }
    const growth = cpuMs.at(-1)! / cpuMs[1]!;
    // What each message and its session cost kept, past the first run (which loads and compiles code).
    const keptKb = ((await heap.liveHeap(lib.pid)) - heapAfterFirst) / 1024 / (options.messages * (LIB_RUNS - 1));
    return {
      what,
      ours: `${cpuMs.map((ms) => ms.toFixed(2)).join(', ')} ms: the last run ${growth.toFixed(2)}x the second; live heap ${keptKb.toFixed(1)} KB per message kept, with its session`,
      anchor: 'none (flat is the goal)',
      goal: 'the last run <= 1.5x the second',
      met: growth <= 1.5,
    };
  } finally {
    await lib.stop();
    await heap.remove();
  }
}

/** One smtp-source run with `args` against `daemon`. */
const source = (daemon: Daemon, args: readonly string[]): Promise<number> => timed('smtp-source', [...args, `127.0.0.1:${daemon.port}`]);

/** One run of a growth leg against a daemon: an smtp-source run, or messages in a session held open. */
type Leg = (daemon: Daemon) => Promise<unknown>;

/** A leg of smtp-source runs with `args`. */
const sourceLeg =
  (args: readonly string[]): Leg =>
  (daemon) =>
    source(daemon, args);

/** RSS growth of `daemon` over one run of `leg`, per unit (session or message), in KB (smtp-sink: no collector, RSS is what it holds). */
async function growth(daemon: Daemon, leg: Leg, units: number): Promise<number> {
  const before = await memory(daemon.pid, 'VmRSS');
  await leg(daemon);
  const after = await memory(daemon.pid, 'VmRSS');
  return (after - before) / 1000 / units;
}

/** Runs per leg: smtp-sink's each give one RSS growth figure, serve's each after the first one live-heap growth figure. */
const GROWTH_RUNS = 4;

/** Per leg, the RSS growth of each of GROWTH_RUNS runs, legs interleaved. */
async function growths(daemon: Daemon, legs: readonly Leg[], units: number): Promise<number[][]> {
  const runs = legs.map((): number[] => []);
  for (let r = 0; r < GROWTH_RUNS; r++) for (const [i, leg] of legs.entries()) runs[i]!.push(await growth(daemon, leg, units));
  return runs;
}

/**
 * Per leg, the live heap's growth per unit in KB from one run of that leg to its next: all of one leg's
 * runs, then all of the other's, so that nothing but that leg runs between two snapshots. (The heap
 * after a run of reused connections sat ~650 KB below the heap after one of new connections, every
 * time: a change of leg is not growth.)
 */
async function heapGrowths(daemon: Daemon, heap: SnapshotDir, legs: readonly Leg[], units: number): Promise<number[][]> {
  const growth: number[][] = [];
  for (const leg of legs) {
    const live: number[] = [];
    for (let r = 0; r < GROWTH_RUNS; r++) {
      await leg(daemon);
      live.push(await heap.liveHeap(daemon.pid));
    }
    growth.push(live.slice(1).map((bytes, k) => (bytes - live[k]!) / 1000 / units));
  }
  return growth;
}

/**
 * A leg of `messages` messages a run, all in one session held open across the runs (a pooled client's
 * connection), one session per daemon; `close` ends them. A session's first run sends a warm-up batch
 * first (its transcript filled to its bound), right before the measured one: a session left idle
 * between a warm-up and the leg's runs would meet the mock's idle timeout (smtp-server's 60 s).
 */
function heldLeg(messages: number): { readonly leg: Leg; close(): Promise<void> } {
  const sessions = new Map<number, Promise<HeldSession>>();
  return {
    async leg(daemon) {
      let session = sessions.get(daemon.port);
      if (!session) {
        sessions.set(daemon.port, (session = holdSession(daemon.port)));
        await (await session).send(messages);
      }
      await (await session).send(messages);
    },
    async close() {
      for (const session of sessions.values()) await (await session.catch(() => undefined))?.close();
    },
  };
}

const GROWTH_WHAT = 'serve smtp --keep 0, live heap growth per session / per message / per message of a session held open (median of runs, range)';

/**
 * `serve smtp --keep 0`: what it keeps by design (the newest finished sessions and messages, 100 by
 * default, each transcript bounded, each open session's record of its messages bounded) is not
 * growth, and its bounds are tested (test/proxy/retention.test.ts, the mock's keep, the session
 * summary's); what this row looks for is anything else that stays, also while a session is open.
 */
async function growthRow(options: SessionOptions, sink: Daemon | undefined): Promise<BenchRow> {
  const n = String(options.messages);
  const newConnections = ['-s', '10', '-m', n, '-l', '10240', '-N'];
  const perSession = sourceLeg(newConnections);
  const perMessage = sourceLeg([...newConnections, '-d']);
  const held = heldLeg(options.messages);
  const legs = [perSession, perMessage, held.leg];
  const shown = (legs: number[][]): string => legs.map((runs) => `${spread(runs, 2)} KB`).join(' / ');
  const heap = await snapshotDir();
  const wp = await serve('smtp', ['--keep', '0'], heap.nodeOptions);
  try {
    // A first run of each kind warms up (JIT, pools, the heap sized for that traffic), so the figures
    // are growth that stays, not start-up; the held session warms itself up (heldLeg).
    for (const leg of [perMessage, perSession]) await leg(wp);
    const ours = await heapGrowths(wp, heap, legs, options.messages);
    let anchor = 'smtp-sink missing: apt-get install postfix';
    if (sink) anchor = `smtp-sink, RSS: ${shown(await growths(sink, legs, options.messages))}`;
    return { what: GROWTH_WHAT, ours: shown(ours), anchor, goal: 'flat (<= 0.1 KB each)', met: ours.every((runs) => median(runs) <= 0.1) };
  } finally {
    await held.close();
    await wp.stop();
    await heap.remove();
  }
}

const FTP_GROWTH_WHAT = 'serve ftp --keep 0, live heap growth per transfer (uploads and downloads of 1 KiB) of a session held open (median of runs, range)';

/**
 * `serve ftp --keep 0` with one FTP session held open across the runs (../lib/held-ftp-session.ts), a
 * quarter of the SMTP rows' messages transferred per run, each up and down: what the proxy and the
 * mock keep per data connection of a session that does not end. No anchor: vsftpd runs a process per
 * session, so its growth would not be comparable.
 */
async function ftpGrowthRow(options: SessionOptions): Promise<BenchRow> {
  const files = Math.max(1, Math.round(options.messages / 4));
  const heap = await snapshotDir();
  const wp = await serve('ftp', ['--keep', '0'], heap.nodeOptions);
  let session: HeldFtpSession | undefined;
  try {
    const held = await holdFtpSession(wp.port);
    session = held;
    // A first run warms up (JIT, the session's transcript filled to its bound) right before the measured ones.
    await held.transfer(files);
    const [growth] = await heapGrowths(wp, heap, [() => held.transfer(files)], files * 2);
    return {
      what: FTP_GROWTH_WHAT,
      ours: `${spread(growth!, 2)} KB`,
      anchor: 'none (flat is the goal)',
      goal: 'flat (<= 0.1 KB each)',
      met: median(growth!) <= 0.1,
    };
  } finally {
    session?.close();
    await wp.stop();
    await heap.remove();
  }
}

/** The session rows (smtp-source is needed for the growth row). */
export async function sessionRows(options: SessionOptions): Promise<BenchRow[]> {
  const postfixTools = (await have('smtp-sink')) && (await have('smtp-source'));
  const sink = postfixTools ? await smtpSink(await freePort()) : undefined;
  try {
    const rows = [await idleRow(options, sink), await ftpIdleRow(options)];
    rows.push(
      postfixTools
        ? await growthRow(options, sink)
        : {
            what: GROWTH_WHAT,
            ours: 'not measured',
            anchor: 'smtp-source missing: apt-get install postfix',
            goal: 'flat',
          },
    );
    rows.push(await ftpGrowthRow(options));
    rows.push(
      postfixTools
        ? await libraryRow(options)
        : { what: 'startSmtp: CPU per message, run by run', ours: 'not measured', anchor: 'smtp-source missing: apt-get install postfix', goal: 'flat' },
    );
    return rows;
  } finally {
    await sink?.stop();
  }
}
