/**
 * SMTP message rates and the large-message rate, `wireprobe serve smtp` against Postfix's smtp-sink,
 * both driven by Postfix's smtp-source (the load generator Postfix itself is measured with):
 *
 *   smtp-source -s 10 -m N -l 10240 -N        a new connection per message
 *   smtp-source -s 10 -m N -l 10240 -N -d     connections reused
 *   smtp-source -s 1 -m 1 -l 100MiB           one large message, DATA to 250
 *
 * Rounds alternate wireprobe and smtp-sink; each pair gives a ratio, and the row reports their median.
 * Each figure also says the CPU (user + system, all threads) the server used per message (per MB for
 * the large one): on a machine shared with other work the rates swing with its load and the CPU a
 * message costs swings much less, so that is the figure to compare two versions of wireprobe by.
 * Each round also drives the mock alone, no proxy in front (./smtp-mock-child.ts): `serve smtp` is
 * the proxy and the mock in one process, and that leg tells their shares of its cost apart. Two more
 * legs give Node's floor (./smtp-floor-child.ts): a minimal Node sink alone, and behind a bare pipe
 * relay in one process, linked to it in-process (the shape of `serve smtp`), so a row says how far wireprobe is from what any
 * Node server or relay of that shape costs, apart from how far it is from smtp-sink.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, have, serve, smtpSink, timed, type Daemon } from '../lib/procs.js';
import { median, pairRatios, spread, type BenchRow } from '../lib/stats.js';

const INSTALL = 'smtp-source/smtp-sink missing: apt-get install postfix';

/** Options shared by the SMTP rows. */
export interface SmtpRateOptions {
  readonly rounds: number;
  /** Messages per round in the rate rows. */
  readonly messages: number;
  /** The large message's size, octets. */
  readonly largeBytes: number;
}

/** One smtp-source run against a server: `count` units (messages, or MB) per second, and its CPU µs per unit. */
interface Round {
  readonly rate: number;
  readonly cpuUs: number;
}

async function round(server: Daemon, args: readonly string[], count: number): Promise<Round> {
  const before = await cpuSeconds(server.pid);
  const ms = await timed('smtp-source', [...args, `127.0.0.1:${server.port}`]);
  const used = (await cpuSeconds(server.pid)) - before;
  return { rate: count / (ms / 1000), cpuUs: (used * 1e6) / count };
}

/** A bench child run through tsx (`script` next to this file, with `args`), once it prints the URL it listens on. */
async function child(script: string, args: readonly string[] = []): Promise<Daemon> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: proc.stdout! })) {
    const url = /:(\d+)$/.exec(line);
    if (url) return { pid: proc.pid!, port: Number(url[1]), stop: async () => void (proc.kill('SIGTERM'), await new Promise((r) => proc.once('exit', r))) };
  }
  throw new Error(`${script} exited before it listened`);
}

/** Each leg's rounds: `serve smtp`, the mock alone, Node's floor (a minimal sink; it behind a bare relay), smtp-sink. */
interface Legs {
  readonly ours: Round[];
  readonly mock: Round[];
  readonly floor: Round[];
  readonly floorRelayed: Round[];
  readonly anchor: Round[];
}

/** `rounds` rounds of `measure`, on each leg in turn (see Legs), after one round each to warm up. */
async function legs(rounds: number, measure: (d: Daemon) => Promise<Round>): Promise<Legs> {
  const out: Legs = { ours: [], mock: [], floor: [], floorRelayed: [], anchor: [] };
  const started: Daemon[] = [];
  try {
    const order: Array<[Round[], Daemon]> = [];
    const start = async (rounds: Round[], daemon: Promise<Daemon>): Promise<void> => {
      const d = await daemon;
      started.push(d);
      order.push([rounds, d]);
    };
    await start(out.ours, serve('smtp', ['--size-limit', '2GiB']));
    await start(out.mock, child('./smtp-mock-child.ts'));
    await start(out.floorRelayed, child('./smtp-floor-child.ts', ['--relay']));
    await start(out.floor, child('./smtp-floor-child.ts'));
    await start(out.anchor, freePort().then(smtpSink));
    // One round each first, not counted: a Node server's first thousand messages run in code not yet
    // optimised (measured: twice the CPU per message of the rounds after), which no long run pays.
    for (const [, d] of order) await measure(d);
    for (let i = 0; i < rounds; i++) for (const [into, d] of order) into.push(await measure(d));
  } finally {
    await Promise.all(started.map((d) => d.stop()));
  }
  return out;
}

/** The three SMTP rate rows. */
export async function smtpRates(options: SmtpRateOptions): Promise<BenchRow[]> {
  const rows = [
    {
      what: 'SMTP msgs/s, 10 sessions, new connection per message',
      args: ['-s', '10', '-m', String(options.messages), '-l', '10240', '-N'],
      count: options.messages,
      unit: 'msgs/s',
      per: 'msg',
      goal: 0.8,
    },
    {
      what: 'SMTP msgs/s, 10 sessions, connections reused',
      args: ['-s', '10', '-m', String(options.messages), '-l', '10240', '-N', '-d'],
      count: options.messages,
      unit: 'msgs/s',
      per: 'msg',
      goal: 0.8,
    },
    {
      what: `one ${Math.round(options.largeBytes / 2 ** 20)} MiB message, DATA to 250`,
      args: ['-s', '1', '-m', '1', '-l', String(options.largeBytes)],
      count: options.largeBytes / 1e6,
      unit: 'MB/s',
      per: 'MB',
      goal: 0.9,
    },
  ];
  if (!(await have('smtp-source')) || !(await have('smtp-sink'))) {
    return rows.map((r) => ({ what: r.what, ours: 'not measured', anchor: INSTALL, goal: `>= ${r.goal}x` }));
  }
  const out: BenchRow[] = [];
  for (const r of rows) {
    const { ours, mock, floor, floorRelayed, anchor } = await legs(options.rounds, (d) => round(d, r.args, r.count));
    const ratio = pairRatios(
      ours.map((o) => o.rate),
      anchor.map((a) => a.rate),
    );
    // CPU is read in 10 ms ticks: a figure from a short round is coarse.
    const figure = (rs: readonly Round[]): string => `${spread(rs.map((x) => x.rate))} ${r.unit}, CPU ${spread(rs.map((x) => x.cpuUs))} µs/${r.per}`;
    out.push({
      what: r.what,
      ours: `${figure(ours)}; the mock alone (no proxy) ${figure(mock)}; Node's floor: a minimal sink ${figure(floor)}, it behind a bare relay linked in-process ${figure(floorRelayed)}`,
      anchor: `smtp-sink ${figure(anchor)}`,
      ratio,
      goal: `>= ${r.goal}x`,
      met: median(ratio) >= r.goal,
    });
  }
  return out;
}
