/**
 * `npm run bench`: every performance and memory goal of wireprobe's mocks and proxy, each row measured
 * against its anchor in the same run (Postfix's smtp-sink/smtp-source, vsftpd, a bare pipe relay, the
 * mock without the proxy), printed as a ratio with the goal beside it and MET / MISSED. A benchmark,
 * not a test: it exits 0 whatever it measures, 1 only when the benchmark itself fails.
 *
 *   rows/smtp-rates.ts        msgs/s (new connection, reused) and one large message vs smtp-sink
 *   rows/ftp-upload.ts        curl STOR vs vsftpd, the proxy's cost, serve ftp's peak RSS (and with V8's defaults)
 *   rows/ftp-small.ts         500 uploads of 1 KiB in one session (Python ftplib) vs vsftpd: the cost per transfer
 *   rows/sessions.ts          idle sessions greeted; serve smtp's live-heap growth vs smtp-sink's RSS; serve ftp's per transfer
 *   rows/round-trip.ts        NOOP round trip added by the proxy vs a bare pipe relay
 *   rows/proxy-throughput.ts  the SMTP body through the proxy vs direct
 *   rows/run-memory.ts        wireprobe run's peak RSS with a large upload scenario vs a 64 MiB one
 *
 * Usage: npm run bench [-- --quick] [-- --only smtp,ftp,sessions,rtt,proxy,run] [-- --rounds N]
 */
import { parseArgs } from 'node:util';
import { ftpUploads } from './rows/ftp-upload.js';
import { proxyThroughput } from './rows/proxy-throughput.js';
import { roundTrip } from './rows/round-trip.js';
import { runMemory } from './rows/run-memory.js';
import { sessionRows } from './rows/sessions.js';
import { ftpSmallFiles } from './rows/ftp-small.js';
import { smtpRates } from './rows/smtp-rates.js';
import { median, verdict, type BenchRow } from './lib/stats.js';

const MiB = 2 ** 20;
const GROUPS = ['smtp', 'ftp', 'sessions', 'rtt', 'proxy', 'run'] as const;
type Group = (typeof GROUPS)[number];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, rounds: { type: 'string' } },
});
const only = (values.only ?? GROUPS.join(',')).split(',').filter(Boolean);
const bad = only.find((g) => !(GROUPS as readonly string[]).includes(g));
if (bad !== undefined) {
  console.error(`bench: unknown group "${bad}" in --only (groups: ${GROUPS.join(', ')})`);
  process.exit(2);
}
const rounds = values.rounds === undefined ? (values.quick ? 3 : 5) : Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: bad --rounds "${values.rounds}": a whole number of at least 1`);
  process.exit(2);
}
const quick = values.quick;
const sizes = {
  messages: quick ? 500 : 2000,
  largeBytes: (quick ? 20 : 100) * MiB,
  ftpBytes: (quick ? 128 : 1024) * MiB,
  idleSessions: quick ? 2000 : 5000,
  noops: 1000,
  proxyMib: quick ? 64 : 256,
  // At 128 MiB the peak still moves with the collector's timing (1.26x once); the row's point is a size far past it.
  runBytes: (quick ? 512 : 1024) * MiB,
};

const RUN: Record<Group, () => Promise<BenchRow[]>> = {
  smtp: () => smtpRates({ rounds, messages: sizes.messages, largeBytes: sizes.largeBytes }),
  ftp: async () => [...(await ftpUploads({ rounds, bytes: sizes.ftpBytes })), await ftpSmallFiles(rounds)],
  sessions: () => sessionRows({ idleSessions: sizes.idleSessions, messages: sizes.messages }),
  rtt: async () => [await roundTrip(sizes.noops)],
  proxy: async () => [await proxyThroughput(sizes.proxyMib)],
  run: async () => [await runMemory({ rounds: Math.min(rounds, 3), bytes: sizes.runBytes })],
};

console.log(`wireprobe bench: ${rounds} interleaved rounds per pair${quick ? ' (--quick sizes)' : ''}; ratios are medians of pair ratios (range)\n`);
const rows: BenchRow[] = [];
for (const group of GROUPS) {
  if (!only.includes(group)) continue;
  for (const row of await RUN[group]()) {
    rows.push(row);
    const ratio = row.ratio ? `${median(row.ratio).toFixed(2)}x (${Math.min(...row.ratio).toFixed(2)}-${Math.max(...row.ratio).toFixed(2)})` : '';
    console.log(
      `${row.what}\n  wireprobe: ${row.ours}\n  anchor:    ${row.anchor}\n  ${ratio ? `ratio ${ratio}, ` : ''}goal ${row.goal}: ${verdict(row.met)}\n`,
    );
  }
}
const missed = rows.filter((r) => r.met === false).length;
const unmeasured = rows.filter((r) => r.met === undefined).length;
console.log(`${rows.length} rows: ${rows.length - missed - unmeasured} met, ${missed} missed, ${unmeasured} not measured`);
