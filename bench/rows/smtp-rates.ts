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
import { benchChild, cpuSeconds, freePort, have, serve, smtpSink, timed, type Daemon } from '../lib/procs.js';
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

/** Each leg's rounds: `serve smtp`, the mock alone, Node's floor (a minimal sink; it behind a bare relay), smtp-sink. */
interface Legs {
  /** `serve smtp`'s first round, in a process that had served nothing before: not counted. */
  cold?: Round;
  readonly ours: Round[];
  readonly mock: Round[];
  readonly floor: Round[];
  readonly floorRelayed: Round[];
  readonly anchor: Round[];
}

/**
 * `rounds` rounds of `measure(d, count)`, on each leg in turn (see Legs), after each leg has been sent
 * `warmup` units first (a round of `count`, then the rest in one run), none of them counted.
 */
async function legs(rounds: number, count: number, warmup: number, measure: (d: Daemon, count: number) => Promise<Round>): Promise<Legs> {
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
    await start(out.mock, benchChild(new URL('./smtp-mock-child.ts', import.meta.url)));
    await start(out.floorRelayed, benchChild(new URL('./smtp-floor-child.ts', import.meta.url), ['--relay']));
    await start(out.floor, benchChild(new URL('./smtp-floor-child.ts', import.meta.url)));
    await start(out.anchor, freePort().then(smtpSink));
    // Not counted: a Node server runs its first messages in code V8 has not optimised yet, which no
    // long run pays (see WARMUP).
    for (const [into, d] of order) {
      const first = await measure(d, count);
      if (into === out.ours) out.cold = first;
      if (warmup > count) await measure(d, warmup - count);
    }
    for (let i = 0; i < rounds; i++) for (const [into, d] of order) into.push(await measure(d, count));
  } finally {
    await Promise.all(started.map((d) => d.stop()));
  }
  return out;
}

/**
 * Messages sent to each server before its counted rounds, by row. Measured on `serve smtp` (Node 20,
 * rounds of 2,000 in a new process): with connections reused, its CPU per message fell round after
 * round, from 880 µs to 150-165 once about 18,000 had gone, as V8 optimised one function after
 * another (with `--no-turbofan` it stayed at 550-770); with a new connection per message it settled
 * after 2,000-4,000 (1,525 µs, then 640-690). One round of 2,000, as this bench warmed up before,
 * measured the reused row at 1.5-2x its steady cost. smtp-sink, a C program, is warmed the same way.
 */
const WARMUP = { newConnection: 6_000, reused: 20_000 };

/** The three SMTP rate rows. */
export async function smtpRates(options: SmtpRateOptions): Promise<BenchRow[]> {
  const rows = [
    {
      what: 'SMTP msgs/s, 10 sessions, new connection per message',
      args: (m: number) => ['-s', '10', '-m', String(m), '-l', '10240', '-N'],
      count: options.messages,
      warmup: WARMUP.newConnection,
      unit: 'msgs/s',
      per: 'msg',
      goal: 0.8,
    },
    {
      what: 'SMTP msgs/s, 10 sessions, connections reused',
      args: (m: number) => ['-s', '10', '-m', String(m), '-l', '10240', '-N', '-d'],
      count: options.messages,
      warmup: WARMUP.reused,
      unit: 'msgs/s',
      per: 'msg',
      goal: 0.8,
    },
    {
      what: `one ${Math.round(options.largeBytes / 2 ** 20)} MiB message, DATA to 250`,
      // One message per round: `count` is in MB, and the warm-up is that one message.
      args: (_m: number) => ['-s', '1', '-m', '1', '-l', String(options.largeBytes)],
      count: options.largeBytes / 1e6,
      warmup: 0,
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
    const { cold, ours, mock, floor, floorRelayed, anchor } = await legs(options.rounds, r.count, r.warmup, (d, n) => round(d, r.args(n), n));
    const ratio = pairRatios(
      ours.map((o) => o.rate),
      anchor.map((a) => a.rate),
    );
    // CPU is read in 10 ms ticks: a figure from a short round is coarse.
    const figure = (rs: readonly Round[]): string => `${spread(rs.map((x) => x.rate))} ${r.unit}, CPU ${spread(rs.map((x) => x.cpuUs))} µs/${r.per}`;
    out.push({
      what: r.what,
      ours: `${figure(ours)}${r.warmup > 0 && cold ? ` after ${r.warmup.toLocaleString('en')} messages to warm up (the first ${r.count.toLocaleString('en')} of a new process: ${cold.rate.toFixed(0)} ${r.unit}, CPU ${cold.cpuUs.toFixed(0)} µs/${r.per})` : ''}; the mock alone (no proxy) ${figure(mock)}; Node's floor: a minimal sink ${figure(floor)}, it behind a bare relay linked in-process ${figure(floorRelayed)}`,
      anchor: `smtp-sink ${figure(anchor)}`,
      ratio,
      goal: `>= ${r.goal}x`,
      met: median(ratio) >= r.goal,
    });
  }
  return out;
}
