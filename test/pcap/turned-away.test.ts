/**
 * Captures of connections the proxy turns away unrelayed (a session limit, a restart, a queue): each
 * has its file, with the client's leg alone and the `!!` line as a comment. Read with the test's own
 * pcapng reader, so tshark is not needed.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMIT_REPLY } from '../../src/faults/limit.js';
import type { Fault } from '../../src/faults/types.js';
import { TCP } from '../../src/pcap/packet.js';
import { PcapRecorder } from '../../src/pcap/recorder.js';
import type { Capture } from '../../src/proxy/capture.js';
import { type ProxyHandle, startProxy } from '../../src/proxy/proxy.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';
import { type ReadCapture, type ReadPacket, readCapture } from './pcapng-reader.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves once the proxy has told the capture of session `n`: `note`, a `!!` line; `done`, each of its connections closed. */
type Heard = (kind: 'note' | 'done', n: number) => Promise<void>;

/**
 * A capturing proxy with `fault` in front of a scripted SMTP server; `talk` drives it, then every file
 * is read. A turned-away connection is no session `idle()` waits for: `heard` is how a test waits for it.
 */
async function captured(fault: Fault, talk: (proxy: ProxyHandle, heard: Heard) => Promise<void>): Promise<Map<string, ReadCapture>> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-pcap-away-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startScriptedSmtp();
  cleanups.push(() => server.close());
  const recorder = new PcapRecorder({ file: (n) => join(dir, `session-${n}.pcapng`), label: 'test' });
  const waiting = new Map<string, () => void>();
  const heard: Heard = (kind, n) => new Promise((resolve) => waiting.set(`${kind} ${n}`, resolve));
  const capture: Capture = (event) => {
    recorder.capture(event);
    if (event.kind === 'note' || event.kind === 'done') waiting.get(`${event.kind} ${event.session}`)?.();
  };
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [fault], capture });
  await talk(proxy, heard);
  await proxy.close();
  await recorder.close();
  const files = new Map<string, ReadCapture>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readCapture(join(dir, name)));
  return files;
}

/** Connects and resolves with the error that ended the connection (none: it closed cleanly). */
function endingOf(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    socket.once('close', () => resolve(undefined));
  });
}

const has = (flag: number) => (p: ReadPacket) => (p.flags & flag) !== 0;

/** The client leg's handshake opens the file: the client's SYN to the proxy, its SYN-ACK, the ACK. */
function expectHandshake(packets: readonly ReadPacket[], proxyPort: number): void {
  expect(packets.slice(0, 3).map((p) => [p.flags, p.dstPort === proxyPort])).toEqual([
    [TCP.SYN, true],
    [TCP.SYN | TCP.ACK, false],
    [TCP.ACK, true],
  ]);
}

describe('pcapng capture of connections turned away', () => {
  it('writes the 421 of a session limit, its note as a comment, and both FINs, on the client leg alone', async () => {
    let port = 0;
    const files = await captured({ kind: 'limit', max: 0, over: 'reply', at: 'connect' }, async (proxy, heard) => {
      port = proxy.port;
      const closed = heard('done', 1);
      const client = await connectRaw(proxy.port);
      await client.until((text) => text.includes('421 '));
      expect(await client.ended).toBe('fin');
      await closed;
    });
    expect([...files.keys()]).toEqual(['session-1.pcapng']);
    const { section, packets } = files.get('session-1.pcapng')!;
    expect(section).toEqual(['wireprobe session 1: test']);
    expect(new Set(packets.map((p) => p.iface))).toEqual(new Set(['client-proxy']));
    expectHandshake(packets, port);
    const reply = packets.find((p) => p.srcPort === port && p.payload.length > 0)!;
    expect(reply.payload).toEqual(LIMIT_REPLY);
    expect(reply.comments).toEqual(['over the session limit: reply']);
    expect(packets.filter(has(TCP.FIN)).map((p) => p.srcPort === port)).toEqual([true, false]);
    expect(packets.some(has(TCP.RST))).toBe(false);
  });

  it('writes the RST of a session limit with its note', async () => {
    let port = 0;
    const files = await captured({ kind: 'limit', max: 0, over: 'reset', at: 'connect' }, async (proxy, heard) => {
      port = proxy.port;
      const closed = heard('done', 1);
      expect(await endingOf(proxy.port)).toBe('ECONNRESET');
      await closed;
    });
    const { packets } = files.get('session-1.pcapng')!;
    expectHandshake(packets, port);
    expect(packets.slice(3).map((p) => [p.flags, p.srcPort === port, p.comments])).toEqual([[TCP.RST | TCP.ACK, true, ['over the session limit: reset']]]);
  });

  it('writes the FIN without a reply of a session limit that closes', async () => {
    let port = 0;
    const files = await captured({ kind: 'limit', max: 0, over: 'close', at: 'connect' }, async (proxy, heard) => {
      port = proxy.port;
      const closed = heard('done', 1);
      const client = await connectRaw(proxy.port);
      expect(await client.ended).toBe('fin');
      await closed;
    });
    const { packets } = files.get('session-1.pcapng')!;
    expect(packets.every((p) => p.payload.length === 0)).toBe(true);
    const fins = packets.filter(has(TCP.FIN));
    expect(fins.map((p) => [p.srcPort === port, p.comments])).toEqual([
      [true, ['over the session limit: close']],
      [false, []],
    ]);
  });

  it('writes the RST of a restarting server to a connection it accepts', async () => {
    let port = 0;
    const files = await captured({ kind: 'refuse', at: 'connect', ms: 60_000, mode: 'reset' }, async (proxy, heard) => {
      port = proxy.port;
      const first = await connectRaw(proxy.port);
      await first.ended;
      const closed = heard('done', 2);
      expect(await endingOf(proxy.port)).toBe('ECONNRESET');
      await closed;
    });
    expect([...files.keys()]).toEqual(['session-1.pcapng', 'session-2.pcapng']);
    const { packets } = files.get('session-2.pcapng')!;
    expect(new Set(packets.map((p) => p.iface))).toEqual(new Set(['client-proxy']));
    expectHandshake(packets, port);
    expect(packets.slice(3).map((p) => [p.flags, p.srcPort === port, p.comments])).toEqual([[TCP.RST | TCP.ACK, true, ['restarting: RST to client']]]);
  });

  it('writes a queued connection the client gave up on as the proxy saw it: the handshake, then its FIN at close', async () => {
    let port = 0;
    const files = await captured({ kind: 'limit', max: 0, over: 'queue', at: 'connect' }, async (proxy, heard) => {
      port = proxy.port;
      const queued = heard('note', 1);
      const client = await connectRaw(proxy.port);
      await queued;
      // The proxy reads nothing from a queued connection, its FIN included: it leaves the queue when the proxy closes.
      client.socket.end();
    });
    const { packets } = files.get('session-1.pcapng')!;
    expectHandshake(packets, port);
    expect(packets.slice(3).map((p) => [p.flags, p.srcPort === port, p.payload.length, p.comments])).toEqual([
      [TCP.FIN | TCP.ACK, true, 0, ['over the session limit: queue']],
      [TCP.ACK, false, 0, []],
    ]);
  });

  it('masks a credential the client sends to a connection turned away', async () => {
    let port = 0;
    const files = await captured({ kind: 'limit', max: 0, over: 'reply', at: 'connect' }, async (proxy, heard) => {
      port = proxy.port;
      const closed = heard('done', 1);
      const client = await connectRaw(proxy.port);
      client.send('USER alice\r\nPASS s3cret\r\n');
      await client.ended;
      await closed;
    });
    const sent = files
      .get('session-1.pcapng')!
      .packets.filter((p) => p.dstPort === port)
      .map((p) => p.payload.toString('latin1'))
      .join('');
    expect(sent).toBe('USER alice\r\nPASS ******\r\n');
  });
});
