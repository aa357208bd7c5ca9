import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import net from 'node:net';
import tls from 'node:tls';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { parseFault } from '../../src/faults/parse.js';
import { runCaptures } from '../../src/pcap/files.js';
import { PcapRecorder } from '../../src/pcap/recorder.js';
import { CLIENTS } from '../../src/clients/index.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import { SUITES } from '../../suites/index.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { tlsFixture } from '../helpers/tls-fixture.js';
import { readCapture } from './pcapng-reader.js';

const run = promisify(execFile);
const fx = tlsFixture();
const { cleanups } = fx;

const tshark = async (...args: string[]): Promise<string> => (await run('tshark', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;

/** Key log labels (NSS format): none may show outside the pcap file. */
const SECRET_LABELS = /CLIENT_RANDOM|TRAFFIC_SECRET|EXPORTER_SECRET/;

interface Captured {
  readonly file: string;
  /** Every transcript line of the proxy. */
  readonly lines: readonly string[];
  /** The message was accepted. */
  readonly sent: boolean;
  /** tshark's -d options for SMTP on the run's ports. */
  readonly decodeAs: readonly string[];
  /** The proxy's listening port and the server's: the far ends of the two legs. */
  readonly proxyPort: number;
  readonly serverPort: number;
}

/**
 * One message sent by nodemailer through a TLS-terminating, capturing proxy (no --keylog: the pcap
 * carries the keys itself); resolves with the pcapng file, every transcript line and how the send went.
 */
async function captured(mode: 'starttls' | 'implicit', fault?: string): Promise<Captured> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-tlspcap-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startSmtpServer({ tls: mode });
  cleanups.push(() => server.close());
  const recorder = new PcapRecorder({ file: (n) => join(dir, `session-${n}.pcapng`), label: 'test' });
  const lines: string[] = [];
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    faults: fault ? [parseFault(fault)] : [],
    tls: { identity: fx.identity, mode },
    capture: recorder.capture,
    onLine: (line) => lines.push(line),
  });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: proxy.port,
    secure: mode === 'implicit',
    requireTLS: true,
    tls: { ca: fx.ca.cert, servername: 'localhost' },
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
  });
  const sent = await transport
    .sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: `Subject: t\r\n\r\n${'x'.repeat(4000)}\r\n` })
    .then(
      () => true,
      () => false,
    );
  transport.close();
  await proxy.idle();
  await proxy.close();
  await recorder.close();
  expect(await readdir(dir)).toEqual(['session-1.pcapng']);
  // The ports are ephemeral, so tshark is told which carry SMTP: over TCP (STARTTLS) or inside TLS (implicit).
  const layer = mode === 'starttls' ? 'tcp' : 'tls';
  const decodeAs = [proxy.port, server.port].flatMap((port) => ['-d', `${layer}.port==${port},smtp`]);
  return { file: join(dir, 'session-1.pcapng'), lines, sent, decodeAs, proxyPort: proxy.port, serverPort: server.port };
}

/** One frame as tshark reads it, with the decryption the file's secrets give and SMTP decoded where `decodeAs` says. */
interface Frame {
  readonly iface: string;
  readonly len: number;
  readonly srcPort: number;
  readonly fin: boolean;
  readonly rst: boolean;
  /** The TLS records' content types (22 handshake, 23 application data, 21 alert): decrypted when known. */
  readonly records: readonly string[];
  readonly handshakes: readonly string[];
  readonly commands: readonly string[];
  readonly parameters: readonly string[];
  /** Expert info severities (0x600000 warning, 0x800000 error). */
  readonly severities: readonly number[];
  readonly comment: string;
}

const FIELDS = ['frame.interface_name', 'tcp.len', 'tcp.srcport', 'tcp.flags.fin', 'tcp.flags.reset', 'tls.record.content_type', 'tls.handshake.type'];
const MORE = ['smtp.req.command', 'smtp.req.parameter', '_ws.expert.severity', 'frame.comment'];

/** Every frame of `file` in one tshark pass (tshark is slow to start). */
async function frames(file: string, decodeAs: readonly string[]): Promise<Frame[]> {
  const fields = [...FIELDS, ...MORE].flatMap((f) => ['-e', f]);
  const out = await tshark('-r', file, ...decodeAs, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=;', ...fields);
  const list = (text: string | undefined): string[] => (text ? text.split(';') : []);
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [iface = '', len, srcPort, fin, rst, records, handshakes, commands, parameters, severities, comment = ''] = line.split('\t');
      return {
        iface,
        len: Number(len),
        srcPort: Number(srcPort),
        fin: fin === '1',
        rst: rst === '1',
        records: list(records),
        handshakes: list(handshakes),
        commands: list(commands),
        parameters: list(parameters),
        severities: list(severities).map(Number),
        comment,
      };
    });
}

/** The SMTP commands each leg's frames carry, in order: [client-proxy's, proxy-server's]. */
const commandsByLeg = (all: readonly Frame[]): string[][] =>
  ['client-proxy', 'proxy-server'].map((iface) => all.filter((f) => f.iface === iface).flatMap((f) => f.commands));

/** The interface of each frame that matches, sorted. */
const legsOf = (all: readonly Frame[], match: (f: Frame) => boolean): string[] =>
  all
    .filter(match)
    .map((f) => f.iface)
    .sort();

const WARNING = 0x600000;

describe('pcapng capture of TLS-terminated sessions (tshark)', () => {
  it('STARTTLS: both legs show the records, decrypted with the keys the file carries, and end with their FINs', async () => {
    const { file, lines, sent, decodeAs, proxyPort, serverPort } = await captured('starttls');
    expect(sent).toBe(true);
    const all = await frames(file, decodeAs);
    // EHLO and STARTTLS in clear (tshark cuts every verb at four letters), then EHLO again and the transaction inside TLS.
    const both = ['EHLO', 'STAR', 'EHLO', 'MAIL', 'RCPT', 'DATA'];
    expect(commandsByLeg(all)).toEqual([both, both]);
    expect(legsOf(all, (f) => f.records.includes('23') && f.parameters.includes('FROM:<a@wireprobe.test>'))).toEqual(['client-proxy', 'proxy-server']);
    // Each leg's ClientHello, and close_notify (an alert, decrypted) before each of the proxy's FINs.
    expect(legsOf(all, (f) => f.handshakes.includes('1'))).toEqual(['client-proxy', 'proxy-server']);
    expect(legsOf(all, (f) => f.records.includes('21')).length).toBeGreaterThanOrEqual(2);
    // The client's FIN and the proxy's on each leg. (The server's may come after the proxy closed its socket, unread.)
    const from = (f: Frame): string =>
      f.srcPort === proxyPort ? 'proxy' : f.srcPort === serverPort ? 'server' : f.iface === 'client-proxy' ? 'client' : 'proxy';
    const fins = all.filter((f) => f.fin).map((f) => `${f.iface} ${from(f)}`);
    expect(fins).toEqual(expect.arrayContaining(['client-proxy client', 'client-proxy proxy', 'proxy-server proxy']));
    expect(all.filter((f) => f.severities.some((s) => s >= WARNING))).toEqual([]);
    const capture = await readCapture(file);
    expect(Buffer.concat(capture.secrets).toString('latin1')).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} /m);
    expect(lines.join('\n')).not.toMatch(SECRET_LABELS);
    // It holds keys: private, as the key log is.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('implicit TLS: every octet is a record from the ClientHello on; a reset inside TLS keeps its comment and its RST', async () => {
    const { file, lines, sent, decodeAs } = await captured('implicit', 'reset after DATA +1000');
    expect(sent).toBe(false);
    const all = await frames(file, decodeAs);
    expect(legsOf(all, (f) => f.handshakes.includes('1'))).toEqual(['client-proxy', 'proxy-server']);
    // No octet of either leg is outside a TLS record.
    expect(all.filter((f) => f.len > 0 && f.records.length === 0)).toEqual([]);
    const both = ['EHLO', 'MAIL', 'RCPT', 'DATA'];
    expect(commandsByLeg(all)).toEqual([both, both]);
    expect(all.map((f) => f.comment).join('\n')).toMatch(/fault fired: reset after DATA \+1000/);
    expect(legsOf(all, (f) => f.rst)).toEqual(['client-proxy']);
    expect(lines.join('\n')).not.toMatch(SECRET_LABELS);
  });
});

describe('a captured TLS leg ends as an uncaptured one does', () => {
  it('an RST from the client inside implicit TLS is passed on to the server, and shows on both legs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-tlspcap-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const server = await startSmtpServer({ tls: 'implicit' });
    cleanups.push(() => server.close());
    const recorder = new PcapRecorder({ file: (n) => join(dir, `s${n}.pcapng`), label: 'test' });
    const proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      tls: { identity: fx.identity, mode: 'implicit' },
      capture: recorder.capture,
    });
    cleanups.push(() => proxy.close());
    const raw = net.connect(proxy.port, '127.0.0.1');
    raw.on('error', () => undefined);
    const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
    secure.on('error', () => undefined);
    let heard = '';
    await new Promise<void>((resolve) => {
      secure.on('data', (d: Buffer) => {
        heard += d.toString('latin1');
        if (heard.startsWith('220 ') && !heard.includes('250')) secure.write('EHLO me\r\n');
        // The whole EHLO reply is in: the client resets its TCP connection under its TLS.
        if (/^250 /m.test(heard)) resolve();
      });
    });
    raw.resetAndDestroy();
    await proxy.idle();
    expect(proxy.sessions().at(-1)?.endings).toEqual(['RST from client', 'RST to server']);
    await recorder.close();
    const resets = (await readCapture(join(dir, 's1.pcapng'))).packets.filter((p) => p.flags & 0x04);
    expect(resets.map((p) => `${p.iface} ${p.dstPort === proxy.port ? 'from client' : p.dstPort === server.port ? 'from proxy' : '?'}`)).toEqual([
      'client-proxy from client',
      'proxy-server from proxy',
    ]);
  });
});

describe('masking and secrets in the recorder', () => {
  it('never masks a TLS leg, and writes each key log line as a Decryption Secrets Block', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-tlspcap-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const recorder = new PcapRecorder({ file: (n) => join(dir, `s${n}.pcapng`), label: 'test' });
    const conn = { session: 1, connection: 0 };
    const at = (leg: 'client' | 'server') => ({ conn, leg, time: Date.now() });
    const ends = { proxy: { address: '127.0.0.1', port: 2525 }, peer: { address: '127.0.0.1', port: 40000 } };
    recorder.capture({ ...at('client'), kind: 'open', ...ends, opener: 'peer' });
    recorder.capture({ ...at('server'), kind: 'open', ...ends, opener: 'proxy' });
    recorder.capture({ ...at('server'), kind: 'tls' });
    const line = Buffer.from(`CLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\n`);
    recorder.capture({ kind: 'secrets', session: 1, time: Date.now(), keylog: line });
    // Octets that would read as a password in clear: masked on the clear leg, left alone on the TLS one.
    recorder.capture({ ...at('client'), kind: 'bytes', direction: 'in', bytes: Buffer.from('PASS hunter2\r\n') });
    recorder.capture({ ...at('server'), kind: 'bytes', direction: 'out', bytes: Buffer.from('PASS hunter2\r\n') });
    recorder.capture({ kind: 'done', session: 1, time: Date.now() });
    await recorder.close();
    const capture = await readCapture(join(dir, 's1.pcapng'));
    expect(capture.secrets).toEqual([line]);
    const payloads = capture.packets.filter((p) => p.payload.length > 0).map((p) => `${p.iface} ${p.payload.toString('latin1')}`);
    expect(payloads).toEqual(['client-proxy PASS *******\r\n', 'proxy-server PASS hunter2\r\n']);
  });
});

describe('the smtp/tls suite under --pcap', () => {
  it('gives nodemailer the same verdicts with every TLS session captured, one file each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-tlspcap-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const suite = SUITES.find((s) => s.name === 'smtp/tls')!;
    const client = CLIENTS.find((c) => c.name === 'nodemailer')!;
    const errors: string[] = [];
    const results = await runScenarios(suite.scenarios, [client], {
      targets: builtinTargets(),
      concurrency: 4,
      capture: runCaptures(dir, (e) => errors.push(e)),
    });
    expect(errors).toEqual([]);
    expect(results.map((r) => `${r.id} ${r.verdict}`)).toEqual(suite.scenarios.map((s) => `${s.id}/nodemailer conformant`));
    const files = await readdir(join(dir, 'smtp', 'tls'), { recursive: true });
    expect(files.filter((f) => f.endsWith('.pcapng'))).toHaveLength(suite.scenarios.length);
  });
});
