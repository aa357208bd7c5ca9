import { EventEmitter } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { classify } from '../../src/engine/classify.js';
import { DEFAULT_TIMEOUTS, upstreamTimeout } from '../../src/engine/protocol-run.js';
import { openBlackhole } from '../../src/proxy/blackhole.js';
import { startProxy, UPSTREAM_TIMEOUT_MS, type ProxyOptions, type SessionEnd } from '../../src/proxy/proxy.js';
import { boundUpstream, type Watched } from '../../src/proxy/upstream-bound.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';
import { contentOf } from '../../src/util/content.js';

/** A stand-in upstream socket: its facts set by the test, `pause`/`resume` as a fault's hold does them. */
class FakeUpstream extends EventEmitter implements Watched {
  connecting = true;
  bytesRead = 0;
  #paused = false;
  isPaused(): boolean {
    return this.#paused;
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    this.emit('resume');
  }
}

describe('boundUpstream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A bound of 100 ms on a fresh stand-in, with what it reported. */
  function watch(ms = 100): { upstream: FakeUpstream; silent: string[]; cancel: () => void } {
    vi.useFakeTimers();
    const upstream = new FakeUpstream();
    const silent: string[] = [];
    const cancel = boundUpstream(upstream, ms, (at) => silent.push(at));
    return { upstream, silent, cancel };
  }

  it('reports a connect still pending at the bound, once', () => {
    const { silent } = watch();
    vi.advanceTimersByTime(99);
    expect(silent).toEqual([]);
    vi.runAllTimers();
    expect(silent).toEqual(['connect']);
  });

  it('reports a connected upstream that sent nothing as silent at its greeting', () => {
    const { upstream, silent } = watch();
    upstream.connecting = false;
    vi.runAllTimers();
    expect(silent).toEqual(['greeting']);
  });

  it('does nothing once the first byte was read', () => {
    const { upstream, silent } = watch();
    upstream.connecting = false;
    upstream.bytesRead = 1;
    vi.runAllTimers();
    expect(silent).toEqual([]);
  });

  it('waits out a fault that holds the relay, then gives the full bound again from its release', () => {
    const { upstream, silent } = watch();
    upstream.connecting = false;
    upstream.pause();
    vi.advanceTimersByTime(1_000);
    expect(silent).toEqual([]);
    upstream.resume();
    vi.advanceTimersByTime(99);
    expect(silent).toEqual([]);
    vi.runAllTimers();
    expect(silent).toEqual(['greeting']);
  });

  it('never fires while a fault holds the relay for good (a stall)', () => {
    const { upstream, silent } = watch();
    upstream.pause();
    vi.advanceTimersByTime(60_000);
    vi.runAllTimers();
    expect(silent).toEqual([]);
  });

  it('is off once cancelled, held or not', () => {
    const { upstream, silent, cancel } = watch();
    upstream.pause();
    vi.advanceTimersByTime(100);
    cancel();
    upstream.resume();
    vi.runAllTimers();
    expect(silent).toEqual([]);
    expect(upstream.listenerCount('resume')).toBe(0);
  });

  it('sets no timer with a bound of 0', () => {
    const { silent } = watch(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.runAllTimers();
    expect(silent).toEqual([]);
  });
});

describe('the engine bound', () => {
  it('gives a server that holds its own greeting that long on top, and a server the proxy delays nothing more', () => {
    expect(upstreamTimeout(30_000, true)).toBe(UPSTREAM_TIMEOUT_MS + 30_000);
    expect(upstreamTimeout(30_000, false)).toBe(UPSTREAM_TIMEOUT_MS);
    expect(upstreamTimeout(undefined, true)).toBe(UPSTREAM_TIMEOUT_MS);
  });
});

describe('a proxy in front of a silent upstream', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A listener that accepts and never sends a byte; its connections are ended when the peer ends. */
  async function silentServer(): Promise<{ port: number; closed: Promise<void> }> {
    let closedOne: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (closedOne = resolve));
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => closedOne());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return { port: (server.address() as net.AddressInfo).port, closed };
  }

  /** A proxy with a 200 ms bound, recording each session's `closing` endings. */
  async function proxyTo(port: number, extra: Partial<ProxyOptions> = {}) {
    const ends: SessionEnd[] = [];
    const proxy = await startProxy({
      upstream: { host: '127.0.0.1', port },
      upstreamTimeoutMs: 200,
      closing: (_info, end) => (ends.push(end), []),
      ...extra,
    });
    cleanups.push(() => proxy.close());
    return { proxy, ends };
  }

  it('answers 421 then FIN in place of the greeting when the connect never completes (a full backlog)', async () => {
    const blackhole = await openBlackhole('127.0.0.1');
    cleanups.push(() => blackhole.close());
    const { proxy, ends } = await proxyTo(blackhole.port);
    const client = await connectRaw(proxy.port);
    expect(await client.ended).toBe('fin');
    expect(client.text()).toBe('421 Service not available, closing transmission channel (upstream connect timed out after 200 ms)\r\n');
    await proxy.idle();
    const [session] = proxy.sessions();
    expect(session).toMatchObject({ upstreamTimeout: 'connect', lastReply: 421, clientSaw: 'fin', phase: 'greeting' });
    expect(session?.transcript.filter((l) => l.includes('timed out'))).toEqual([
      expect.stringMatching(/!! upstream connect timed out after 200 ms: 421 to client, then FIN$/),
    ]);
    expect(ends.map((e) => e.endings)).toEqual([['upstream connect timed out', 'FIN to client']]);
  });

  it('gives a client one definite outcome for it: a 421 reply at the greeting', async () => {
    const blackhole = await openBlackhole('127.0.0.1');
    cleanups.push(() => blackhole.close());
    const { proxy } = await proxyTo(blackhole.port);
    const job = {
      host: proxy.host,
      port: proxy.port,
      from: 'a@example.test',
      to: ['b@example.test'],
      content: contentOf(Buffer.from('Subject: x\r\n\r\nx\r\n')),
      timeouts: DEFAULT_TIMEOUTS,
    };
    const report = await nodemailerPlain.run(job, new AbortController().signal);
    await proxy.idle();
    const [session] = proxy.sessions();
    const wire = session && { clientSaw: session.clientSaw, lastReply: session.lastReply };
    const outcome = classify({ report, phase: session?.phase ?? 'connect', bytesSent: 0, wire, exitCodes: {} });
    expect(outcome).toMatchObject({ kind: 'reply', code: 421, phase: 'greeting' });
  });

  it('answers 421 then FIN when the upstream accepts and never speaks, and lets the upstream go', async () => {
    const silent = await silentServer();
    const { proxy, ends } = await proxyTo(silent.port);
    const client = await connectRaw(proxy.port);
    expect(await client.ended).toBe('fin');
    expect(client.text()).toBe('421 Service not available, closing transmission channel (upstream greeting timed out after 200 ms)\r\n');
    await silent.closed;
    await proxy.idle();
    const [session] = proxy.sessions();
    expect(session).toMatchObject({ upstreamTimeout: 'greeting', lastReply: 421, clientSaw: 'fin', phase: 'greeting' });
    expect(ends[0]?.endings.slice(0, 2)).toEqual(['upstream greeting timed out', 'FIN to client']);
  });

  it("speaks FTP's 421 in front of an FTP server", async () => {
    const silent = await silentServer();
    const { proxy } = await proxyTo(silent.port, { protocol: 'ftp' });
    const client = await connectRaw(proxy.port);
    expect(await client.ended).toBe('fin');
    expect(client.text()).toBe('421 Service not available, closing control connection (upstream greeting timed out after 200 ms)\r\n');
  });

  it("shows the server's greeting after a delay at connect longer than the bound", async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    const { proxy } = await proxyTo(server.port, { upstreamTimeoutMs: 100, faults: [{ kind: 'delay', ms: 400, at: 'connect' }] });
    const client = await connectRaw(proxy.port);
    await client.until((text) => text.includes('\r\n'));
    expect(client.text()).toBe('220 scripted ESMTP\r\n');
    client.send('QUIT\r\n');
    expect(await client.ended).toBe('fin');
    expect(proxy.sessions()[0]?.upstreamTimeout).toBeUndefined();
  });

  it('bounds only the first byte: a server silent after its greeting is not cut when the bound has passed', async () => {
    // The greeting comes at once, then nothing; a second proxy with the same bound in front of a silent
    // server, started after it, shows when the bound has passed for the first.
    const greeter = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('220 greets then says nothing\r\n');
      socket.resume();
    });
    await new Promise<void>((resolve) => greeter.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => greeter.close(resolve)));
    const { proxy } = await proxyTo((greeter.address() as net.AddressInfo).port);
    const client = await connectRaw(proxy.port);
    await client.until((text) => text.includes('\r\n'));
    client.send('EHLO me\r\n');
    const silent = await silentServer();
    const witness = await proxyTo(silent.port);
    const late = await connectRaw(witness.proxy.port);
    expect(await late.ended).toBe('fin');
    expect(client.text()).toBe('220 greets then says nothing\r\n');
    expect(client.socket.readableEnded).toBe(false);
    expect(proxy.sessions()[0]).toMatchObject({ clientSaw: null });
    client.socket.end();
    expect(await client.ended).toBe('fin');
  });
});
