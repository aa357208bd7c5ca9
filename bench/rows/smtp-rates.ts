/**
 * SMTP message rates and the large-message rate, `wireprobe serve smtp` against Postfix's smtp-sink,
 * both driven by Postfix's smtp-source (the load generator Postfix itself is measured with):
 *
 *   smtp-source -s 10 -m N -l 10240 -N        a new connection per message
 *   smtp-source -s 10 -m N -l 10240 -N -d     connections reused
 *   smtp-source -s 1 -m 1 -l 100MiB           one large message, DATA to 250
 *
 * Rounds alternate wireprobe and smtp-sink; each pair gives a ratio, and the row reports their median.
 */
import { freePort, have, serve, smtpSink, timed, type Daemon } from '../lib/procs.js';
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

/** Messages per second (or octets per second for `large`) of one smtp-source run against `port`. */
async function rate(port: number, args: readonly string[], count: number): Promise<number> {
  const ms = await timed('smtp-source', [...args, `127.0.0.1:${port}`]);
  return count / (ms / 1000);
}

async function pairs(rounds: number, measure: (d: Daemon) => Promise<number>): Promise<{ ours: number[]; anchor: number[] }> {
  const ours: number[] = [];
  const anchor: number[] = [];
  const started: Daemon[] = [];
  try {
    const wp = await serve('smtp', ['--size-limit', '2GiB']);
    started.push(wp);
    const sink = await smtpSink(await freePort());
    started.push(sink);
    for (let i = 0; i < rounds; i++) {
      ours.push(await measure(wp));
      anchor.push(await measure(sink));
    }
  } finally {
    await Promise.all(started.map((d) => d.stop()));
  }
  return { ours, anchor };
}

/** The three SMTP rate rows. */
export async function smtpRates(options: SmtpRateOptions): Promise<BenchRow[]> {
  const rows = [
    {
      what: 'SMTP msgs/s, 10 sessions, new connection per message',
      args: ['-s', '10', '-m', String(options.messages), '-l', '10240', '-N'],
      count: options.messages,
      unit: 'msgs/s',
      goal: 0.8,
    },
    {
      what: 'SMTP msgs/s, 10 sessions, connections reused',
      args: ['-s', '10', '-m', String(options.messages), '-l', '10240', '-N', '-d'],
      count: options.messages,
      unit: 'msgs/s',
      goal: 0.8,
    },
    {
      what: `one ${Math.round(options.largeBytes / 2 ** 20)} MiB message, DATA to 250`,
      args: ['-s', '1', '-m', '1', '-l', String(options.largeBytes)],
      count: options.largeBytes / 1e6,
      unit: 'MB/s',
      goal: 0.9,
    },
  ];
  if (!(await have('smtp-source')) || !(await have('smtp-sink'))) {
    return rows.map((r) => ({ what: r.what, ours: 'not measured', anchor: INSTALL, goal: `>= ${r.goal}x` }));
  }
  const out: BenchRow[] = [];
  for (const r of rows) {
    const { ours, anchor } = await pairs(options.rounds, (d) => rate(d.port, r.args, r.count));
    const ratio = pairRatios(ours, anchor);
    out.push({
      what: r.what,
      ours: `${spread(ours)} ${r.unit}`,
      anchor: `smtp-sink ${spread(anchor)} ${r.unit}`,
      ratio,
      goal: `>= ${r.goal}x`,
      met: median(ratio) >= r.goal,
    });
  }
  return out;
}
