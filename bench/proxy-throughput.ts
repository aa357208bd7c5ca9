/**
 * Benchmark, not a test: SMTP message body throughput through the fault proxy (no fault) against the
 * same transfer straight to the sink, in one run, and the ratio of the two (target: proxy >= 0.8x).
 *
 *   direct:   client ──TCP──────────────────────────────► sink
 *   proxied:  client ──TCP──► proxy (startProxy, no fault) ──TCP──► sink
 *
 *   EHLO, MAIL, RCPT, DATA ─► [t0] N x 64 KiB body + ".\r\n" ─► 250 [t1] ─► QUIT
 *
 * Client and sink share this process; the proxy runs in its own, as with `wireprobe serve` (or here too,
 * with --in-process). Rounds alternate direct and proxied (and the bare relay); each round's proxied run
 * is divided by the direct run beside it, and the median of those pair ratios is compared. Exit code 0
 * whether or not the target is met; 1 only when the benchmark itself fails (a transfer errs, stalls, or
 * the sink's byte count is wrong).
 *
 * Usage: npm run bench:proxy [-- [--mib N] [--rounds N] [--baseline] [--in-process]]
 *
 *   --in-process run the proxy (and the bare relay) in this process too: one event loop for everything
 *   --mib N      body size in MiB, default 256
 *   --rounds N   rounds, default 5
 *   --baseline   also time a bare `socket.pipe` relay (no parsing, no faults), set up as the proxy is
 *                (its own process, or this one with --in-process): the cost any relay pays for its hop;
 *                and, when installed, socat (a relay written in C, `apt-get install socat`): that cost
 *                outside Node
 */
import { once } from 'node:events';
import net, { type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startProxy } from '../src/proxy/proxy.js';
import { startPipeRelay } from './lib/pipe-relay.js';
import { readFile } from 'node:fs/promises';
import { cpuSeconds, freePort, have, waitListening } from './lib/procs.js';
import { median, pairRatios } from './lib/stats.js';

const HOST = '127.0.0.1';
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const TARGET = 0.8;
/** A single transfer that takes longer than this is a failed benchmark, not a slow one. */
const RUN_DEADLINE_MS = 120_000;
/** End of data, RFC 5321 §4.1.1.4: the body's last CRLF, then ".\r\n". */
const TERMINATOR = Buffer.from('\r\n.\r\n', 'latin1');

/**
 * `pipe`: a bare `socket.pipe` relay with no SMTP parsing; `socat`: socat relaying the same way. Both run
 * only with `--baseline`, socat only when it is installed.
 */
type Mode = 'direct' | 'proxied' | 'pipe' | 'socat';

/** One timed transfer. */
interface Run {
  readonly mode: Mode;
  readonly round: number;
  readonly ms: number;
  readonly mibPerS: number;
  /** RSS after the run minus before, and the highest sampled RSS during it minus before (bytes). */
  readonly rssDelta: number;
  readonly rssPeakDelta: number;
  /** CPU (user + system) the relay's process spent per MiB of the body, when it runs in a process of its own. */
  readonly relayCpuMsPerMib?: number;
}

/** A relay in front of the sink: where it listens, and the process that relays a connection, if not this one. */
interface Relay {
  readonly port: number;
  /** Called once a connection is open (its greeting relayed): the pid doing its relaying. */
  readonly worker?: () => Promise<number>;
  close(): Promise<void>;
}

/** The sink's handle: where it listens, what the last message measured, and how to stop it. */
interface Sink {
  readonly port: number;
  /** Body octets of the last message (terminator excluded). */
  lastBody(): number;
  close(): Promise<void>;
}

// ── sink ──────────────────────────────────────────────────────────────────────────────────────────

/** A minimal SMTP sink on 127.0.0.1 port 0: 250 to everything, 354 to DATA, counts and drops the body. */
async function startSink(): Promise<Sink> {
  const sockets = new Set<Socket>();
  let last = 0;
  const server: Server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serveSmtp(socket, (bytes) => (last = bytes));
    socket.write('220 sink\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    lastBody: () => last,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Speaks the sink's side of SMTP on `socket`; calls `onMessage` with each body's size at its dot. */
function serveSmtp(socket: Socket, onMessage: (bodyBytes: number) => void): void {
  let mode: 'command' | 'body' = 'command';
  let partial = '';
  /** The last (up to 4) octets of the body stream, to see a terminator split across chunks. */
  let tail: Buffer = Buffer.alloc(0);
  let consumed = 0;

  const command = (line: string): void => {
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === 'DATA') {
      mode = 'body';
      consumed = 0;
      tail = Buffer.from('\r\n', 'latin1'); // the body starts at a line start
      socket.write('354 go ahead\r\n');
    } else if (verb === 'QUIT') socket.end('221 bye\r\n');
    else socket.write('250 ok\r\n');
  };

  socket.on('data', (chunk: Buffer) => {
    let pos = 0;
    while (pos < chunk.length) {
      if (mode === 'body') {
        const end = findTerminator(tail, chunk, pos);
        if (end === -1) {
          consumed += chunk.length - pos;
          tail = lastOctets(tail, chunk, pos);
          return;
        }
        consumed += end - pos;
        pos = end;
        mode = 'command';
        onMessage(consumed - 3); // ".\r\n" is not content
        socket.write('250 ok\r\n');
        continue;
      }
      const lf = chunk.indexOf(0x0a, pos);
      if (lf === -1) {
        partial = (partial + chunk.toString('latin1', pos)).slice(0, 4096);
        return;
      }
      const line = (partial + chunk.toString('latin1', pos, lf)).replace(/\r$/, '');
      partial = '';
      pos = lf + 1;
      command(line);
    }
  });
}

/** Offset in `chunk` just past CRLF.CRLF if it completes in `chunk[pos..]`, else -1. */
function findTerminator(tail: Buffer, chunk: Buffer, pos: number): number {
  // A terminator straddling the boundary has at most 4 octets in `tail` and at least one in `chunk`.
  const joined = Buffer.concat([tail, chunk.subarray(pos, pos + TERMINATOR.length - 1)]);
  const across = joined.indexOf(TERMINATOR);
  if (across !== -1) return pos + across + TERMINATOR.length - tail.length;
  const inside = chunk.indexOf(TERMINATOR, pos);
  return inside === -1 ? -1 : inside + TERMINATOR.length;
}

/** The stream's last 4 octets after `chunk[pos..]`, copied so the chunk itself is not kept alive. */
function lastOctets(tail: Buffer, chunk: Buffer, pos: number): Buffer {
  const keep = TERMINATOR.length - 1;
  if (chunk.length - pos >= keep) return Buffer.from(chunk.subarray(chunk.length - keep));
  return Buffer.from(Buffer.concat([tail, chunk.subarray(pos)]).subarray(-keep));
}

/** The client's commands before the body, with the reply each must get. */
const DIALOGUE = [
  ['EHLO bench.localhost', 250],
  ['MAIL FROM:<a@bench.localhost>', 250],
  ['RCPT TO:<b@bench.localhost>', 250],
  ['DATA', 354],
] as const;

// ── client ────────────────────────────────────────────────────────────────────────────────────────

/** 64 KiB of 64-octet CRLF-terminated text lines; no line starts with '.', so no dot-stuffing. */
function bodyChunk(): Buffer {
  const line = `${'wireprobe benchmark line: the quick brown fox jumps over it.'.padEnd(62, '-')}\r\n`;
  const chunk = Buffer.from(line.repeat(CHUNK / line.length), 'latin1');
  if (chunk.length !== CHUNK || chunk.includes('\r\n.')) throw new Error('bench bug: bad body chunk');
  return chunk;
}

/** Reads SMTP replies from a socket: `expect(code)` resolves with the next complete reply's last line. */
function replyReader(socket: Socket): (code: number) => Promise<string> {
  const finals: string[] = [];
  let partial = '';
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('latin1')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line[3] !== '-') finals.push(line.replace(/\r$/, ''));
    wake?.();
  });
  const fail = (error: Error): void => {
    failure ??= error;
    wake?.();
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed before the expected reply')));
  return async (code) => {
    while (finals.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    const reply = finals.shift()!;
    if (!reply.startsWith(String(code))) throw new Error(`expected ${code}, got "${reply}"`);
    return reply;
  };
}

/** When the body starts and when its 250 came, for measurements around the timed part of a transfer. */
interface Marks {
  start(): Promise<void>;
  end(): Promise<void>;
}

/** One message over a new connection to `port`; returns ms from the first body octet to the 250 after the dot. */
async function transfer(port: number, chunk: Buffer, chunks: number, marks: Marks): Promise<number> {
  const socket = net.connect({ host: HOST, port, noDelay: true });
  const expect = replyReader(socket);
  const deadline = setTimeout(() => socket.destroy(new Error(`transfer took over ${RUN_DEADLINE_MS} ms`)), RUN_DEADLINE_MS);
  try {
    await expect(220);
    for (const [line, code] of DIALOGUE) {
      socket.write(`${line}\r\n`);
      await expect(code);
    }
    await marks.start();
    const t0 = performance.now();
    for (let i = 0; i < chunks; i++) {
      if (!socket.write(chunk)) await once(socket, 'drain');
    }
    socket.write('.\r\n');
    await expect(250);
    const ms = performance.now() - t0;
    await marks.end();
    socket.write('QUIT\r\n');
    await expect(221);
    const closed = once(socket, 'close');
    socket.end();
    await closed;
    return ms;
  } finally {
    clearTimeout(deadline);
    socket.destroy();
  }
}

// ── run ───────────────────────────────────────────────────────────────────────────────────────────

/** Runs one transfer, sampling RSS while it goes, and checks the sink got every octet. */
async function measure(mode: Mode, round: number, relay: Relay | { readonly port: number }, sink: Sink, mib: number, chunk: Buffer): Promise<Run> {
  const chunks = (mib * MiB) / CHUNK;
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  let worker: number | undefined;
  let cpu = 0;
  const marks: Marks = {
    async start() {
      worker = 'worker' in relay ? await relay.worker?.() : undefined;
      if (worker !== undefined) cpu = await cpuSeconds(worker);
    },
    async end() {
      if (worker !== undefined) cpu = (await cpuSeconds(worker)) - cpu;
    },
  };
  try {
    const ms = await transfer(relay.port, chunk, chunks, marks);
    const after = process.memoryUsage.rss();
    peak = Math.max(peak, after);
    if (sink.lastBody() !== chunks * CHUNK) throw new Error(`${mode}: sink counted ${sink.lastBody()} body octets, sent ${chunks * CHUNK}`);
    const relayCpu = worker === undefined ? {} : { relayCpuMsPerMib: (cpu * 1000) / mib };
    return { mode, round, ms, mibPerS: mib / (ms / 1000), rssDelta: after - before, rssPeakDelta: peak - before, ...relayCpu };
  } finally {
    clearInterval(sampler);
  }
}

const mb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / MiB).toFixed(1)} MiB`;

function parseOptions(argv: readonly string[]): { mib: number; rounds: number; baseline: boolean; inProcess: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mib: { type: 'string', default: '256' },
      rounds: { type: 'string', default: '5' },
      baseline: { type: 'boolean', default: false },
      'in-process': { type: 'boolean', default: false },
    },
  });
  const mib = Number(values.mib);
  if (!Number.isInteger(mib) || mib < 1) throw new Error(`--mib must be a whole number >= 1, got "${values.mib}"`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number >= 1, got "${values.rounds}"`);
  return { mib, rounds, baseline: values.baseline ?? false, inProcess: values['in-process'] ?? false };
}

/** Starts bench/proxy-child.ts (the proxy or the bare relay) in its own process and reads the port it listens on. */
async function startRelayProcess(upstreamPort: number, relay: 'proxy' | 'pipe'): Promise<Relay> {
  const script = fileURLToPath(new URL('./proxy-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(upstreamPort), relay], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const exited = once(child, 'exit');
  return {
    port: Number(line),
    worker: async () => child.pid!,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** When `pid` started, in clock ticks since boot (/proc/PID/stat, field 22). */
async function startTime(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: field 22 is the 20th.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/**
 * socat relaying 127.0.0.1:`port` (a free one) to the sink, 64 KiB at a time as Node reads (its default
 * is 8 KiB), in a process per connection as socat forks: the worker is the one child of the listener.
 */
async function startSocat(upstreamPort: number): Promise<Relay> {
  const port = await freePort();
  const child = spawn('socat', ['-b', String(CHUNK), `TCP-LISTEN:${port},bind=${HOST},reuseaddr,fork`, `TCP:${HOST}:${upstreamPort}`], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  await waitListening(port);
  return {
    port,
    worker: async () => {
      // The newest child: one for an earlier connection (or waitListening's probe) may not have exited yet.
      const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')).trim().split(' ').filter(Boolean).map(Number);
      const started = await Promise.all(children.map(async (pid) => ({ pid, at: await startTime(pid) })));
      const newest = started.sort((a, b) => b.at - a.at)[0];
      if (newest === undefined) throw new Error('socat has no connection open');
      return newest.pid;
    },
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const { mib, rounds, baseline, inProcess } = parseOptions(process.argv.slice(2));
  const socat = baseline && (await have('socat'));
  if (baseline && !socat) console.log('socat not installed (apt-get install socat): no reference relay in C\n');
  const modes: readonly Mode[] = baseline ? ['direct', 'proxied', 'pipe', ...(socat ? (['socat'] as const) : [])] : ['direct', 'proxied'];
  const chunk = bodyChunk();
  console.log(`wireprobe proxy throughput: ${mib} MiB SMTP body in 64 KiB writes, no fault vs direct`);
  console.log(
    inProcess
      ? `client, proxy and sink all run in this one Node ${process.version} process (pid ${process.pid}), on ${HOST}`
      : `client and sink run in this Node ${process.version} process, the proxy (and the bare relay) each in its own (as with wireprobe serve), on ${HOST}`,
  );
  console.log(`${rounds} rounds, ${modes.join(' / ')} alternating; all rounds counted (round 1 included), median of ${rounds} compared\n`);

  const runs: Run[] = [];
  /** Whatever was started, stopped in reverse order even when a later start or a transfer fails. */
  const stops: (() => Promise<void>)[] = [];
  try {
    const sink = await startSink();
    stops.push(() => sink.close());
    const proxy = inProcess ? await startProxy({ upstream: { host: HOST, port: sink.port } }) : await startRelayProcess(sink.port, 'proxy');
    stops.push(() => proxy.close());
    const pipe = baseline ? (inProcess ? await startPipeRelay(sink.port) : await startRelayProcess(sink.port, 'pipe')) : undefined;
    if (pipe) stops.push(() => pipe.close());
    const relayInC = socat ? await startSocat(sink.port) : undefined;
    if (relayInC) stops.push(() => relayInC.close());
    const relays: Record<Mode, Relay | { readonly port: number }> = {
      direct: sink,
      proxied: proxy,
      pipe: pipe ?? { port: 0 },
      socat: relayInC ?? { port: 0 },
    };
    for (let round = 1; round <= rounds; round++) {
      for (const mode of modes) {
        const run = await measure(mode, round, relays[mode], sink, mib, chunk);
        runs.push(run);
        console.log(
          `round ${round}  ${mode.padEnd(7)}  ${run.mibPerS.toFixed(1).padStart(8)} MiB/s  ${run.ms.toFixed(1).padStart(8)} ms` +
            `   RSS ${mb(run.rssDelta)} after, ${mb(run.rssPeakDelta)} peak during` +
            (run.relayCpuMsPerMib === undefined ? '' : `   relay CPU ${run.relayCpuMsPerMib.toFixed(2)} ms/MiB`),
        );
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }

  const rates = (mode: Mode) => runs.filter((r) => r.mode === mode).map((r) => r.mibPerS);
  const direct = median(rates('direct'));
  const proxied = median(rates('proxied'));
  // Each round's proxied run against the direct run next to it, so a slow moment hits both legs of a pair.
  const ratio = median(pairRatios(rates('proxied'), rates('direct')));
  const list = (mode: Mode) =>
    rates(mode)
      .map((r) => r.toFixed(1))
      .join(', ');
  /** The relay's CPU per MiB over the rounds, when it runs in a process of its own: load moves it less than the rates. */
  const cpu = (mode: Mode): string => {
    const ms = runs.filter((r) => r.mode === mode && r.relayCpuMsPerMib !== undefined).map((r) => r.relayCpuMsPerMib!);
    return ms.length === 0 ? '' : `   relay CPU ${median(ms).toFixed(2)} ms/MiB (${Math.min(...ms).toFixed(2)}-${Math.max(...ms).toFixed(2)})`;
  };
  console.log(`\ndirect   median ${direct.toFixed(1).padStart(8)} MiB/s   (${list('direct')})`);
  console.log(`proxied  median ${proxied.toFixed(1).padStart(8)} MiB/s   (${list('proxied')})${cpu('proxied')}`);
  if (baseline) {
    const piped = median(rates('pipe'));
    console.log(`pipe     median ${piped.toFixed(1).padStart(8)} MiB/s   (${list('pipe')})${cpu('pipe')}`);
    const pipeRatio = median(pairRatios(rates('pipe'), rates('direct')));
    const overPipe = median(pairRatios(rates('proxied'), rates('pipe')));
    console.log(`bare pipe relay/direct: ${pipeRatio.toFixed(2)}x (reference); proxy/bare pipe relay: ${overPipe.toFixed(2)}x`);
    if (socat) {
      console.log(`socat    median ${median(rates('socat')).toFixed(1).padStart(8)} MiB/s   (${list('socat')})${cpu('socat')}`);
      const socatRatio = median(pairRatios(rates('socat'), rates('direct')));
      const overSocat = median(pairRatios(rates('proxied'), rates('socat')));
      console.log(`socat relay/direct: ${socatRatio.toFixed(2)}x (reference, a relay in C); proxy/socat: ${overSocat.toFixed(2)}x`);
    }
  }
  console.log(`proxy/direct ratio: ${ratio.toFixed(2)}x (median of ${rounds} pair ratios; target >= ${TARGET}x) ${ratio >= TARGET ? 'MET' : 'MISSED'}`);

  const proxiedRuns = runs.filter((r) => r.mode === 'proxied');
  const peakDelta = Math.max(...proxiedRuns.map((r) => r.rssPeakDelta));
  const afterDelta = Math.max(...proxiedRuns.map((r) => r.rssDelta));
  console.log(`memory: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB (maxRSS, whole process)`);
  console.log(`memory: largest RSS growth over a proxied run: ${mb(afterDelta)} at its end, ${mb(peakDelta)} at its peak (body: ${mib} MiB)`);
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
