/**
 * The round trip the proxy adds: N NOOPs one after another (each waits for its 250) straight to the mock
 * SMTP server, through a bare `socket.pipe` relay (the anchor: any relay's extra hop), and through the
 * fault proxy with no fault. Paths take turns in batches of 50 so a slow moment hits all three; the
 * added time is the path's quantile minus direct's.
 */
import net from 'node:net';
import { startSmtpServer } from '../../servers/smtp.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { startPipeRelay } from '../lib/pipe-relay.js';
import { quantile, type BenchRow } from '../lib/stats.js';

const HOST = '127.0.0.1';
const BATCH = 50;

/** An SMTP session on `port` past its greeting; `noop()` resolves with one NOOP's round trip in µs. */
async function session(port: number): Promise<{ noop(): Promise<number>; close(): void }> {
  const socket = net.connect({ host: HOST, port, noDelay: true });
  let buffered = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    if (/\r\n$/.test(buffered) && waiter) waiter();
  });
  await new Promise<void>((r) => (waiter = () => (/^220 /m.test(buffered) ? r() : undefined)));
  return {
    noop: () =>
      new Promise((resolve) => {
        buffered = '';
        const t0 = process.hrtime.bigint();
        waiter = () => {
          if (/^250 /m.test(buffered)) resolve(Number(process.hrtime.bigint() - t0) / 1000);
        };
        socket.write('NOOP\r\n');
      }),
    close: () => socket.destroy(),
  };
}

/** The round-trip row: added p50 and p99 over `count` NOOPs per path. */
export async function roundTrip(count: number): Promise<BenchRow> {
  const mock = await startSmtpServer();
  const relay = await startPipeRelay(mock.port);
  const proxy = await startProxy({ upstream: { host: HOST, port: mock.port } });
  const paths = { direct: await session(mock.port), pipe: await session(relay.port), proxy: await session(proxy.port) };
  const times = { direct: [] as number[], pipe: [] as number[], proxy: [] as number[] };
  try {
    for (let done = 0; done < count; done += BATCH) {
      for (const name of ['direct', 'pipe', 'proxy'] as const) {
        for (let i = 0; i < BATCH; i++) times[name].push(await paths[name].noop());
      }
    }
  } finally {
    for (const p of Object.values(paths)) p.close();
    await Promise.all([proxy.close(), relay.close(), mock.close()]);
  }
  const added = (name: 'pipe' | 'proxy', q: number): number => quantile(times[name], q) - quantile(times.direct, q);
  const p50 = added('proxy', 0.5);
  const p99 = added('proxy', 0.99);
  return {
    what: `added round trip, NOOP x ${count}`,
    ours: `p50 +${p50.toFixed(0)} us, p99 +${p99.toFixed(0)} us`,
    anchor: `bare pipe relay p50 +${added('pipe', 0.5).toFixed(0)} us, p99 +${added('pipe', 0.99).toFixed(0)} us`,
    goal: 'p50 <= 100 us, p99 <= 300 us',
    met: p50 <= 100 && p99 <= 300,
  };
}
