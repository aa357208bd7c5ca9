/**
 * The proxy throughput row: bench/proxy-throughput.ts (an SMTP body through the proxy in its own process
 * against the same body straight to a sink) run as a child, its medians read from its output.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from '../lib/stats.js';

export async function proxyThroughput(mib: number): Promise<BenchRow> {
  const script = fileURLToPath(new URL('../proxy-throughput.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--mib', String(mib)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  const direct = /^direct\s+median\s+([\d.]+) MiB\/s\s+\((.*)\)/m.exec(out);
  const proxied = /^proxied\s+median\s+([\d.]+) MiB\/s\s+\((.*)\)/m.exec(out);
  const ratio = /^proxy\/direct ratio: ([\d.]+)x/m.exec(out);
  const what = `npm run bench proxy/direct, ${mib} MiB SMTP body`;
  if (code !== 0 || !direct || !proxied || !ratio) return { what, ours: 'failed', anchor: `proxy-throughput.ts exited ${code}`, goal: '>= 0.8x' };
  return {
    what,
    ours: `proxied ${proxied[1]} MiB/s (${proxied[2]})`,
    anchor: `direct ${direct[1]} MiB/s (${direct[2]})`,
    ratio: [Number(ratio[1])],
    goal: '>= 0.8x',
    met: Number(ratio[1]) >= 0.8,
  };
}
