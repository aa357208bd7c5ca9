/**
 * `run --target ... --maildir DIR` against a server that adds header fields of its own where it stores
 * the message, as aiosmtpd's Mailbox handler does (X-Peer, X-MailFrom, X-RcptTo after the last field)
 * and a milter or header_checks do: the message arrived whole, and is counted as a copy. Here the
 * server is the mock, which hands each accepted message to a store that writes it to a Maildir so.
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import type { Result } from '../../src/engine/types.js';
import { inProcess } from '../helpers/in-process.js';
import { runTarget } from '../helpers/target-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-maildir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The message as a store that adds fields keeps it: a trace field first, two fields after the last, LF line ends. */
function stored(message: Buffer, damage: boolean): Buffer {
  const text = message.toString('latin1').replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n') + 1;
  const body = text.slice(end);
  return Buffer.from(
    `Received: from [127.0.0.1] by store.test\n${text.slice(0, end)}X-Peer: ('127.0.0.1', 40000)\nX-MailFrom: me@example.test\n${damage ? body.slice(0, -20) : body}`,
    'latin1',
  );
}

/** A Maildir, and the mock storing each message it accepts there as `stored` makes it. */
async function storingServer(damage: boolean) {
  const maildir = await mkdtemp(join(dir, 'Maildir-'));
  for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(maildir, sub));
  const writes: Promise<void>[] = [];
  let n = 0;
  const server = await startSmtpServer({
    spool: 'on',
    onMessage: (m) => {
      const name = `${Date.now()}.${++n}.store.test`;
      writes.push(
        readFile(m.spooled!).then(async (message) => {
          await writeFile(join(maildir, 'tmp', name), stored(message, damage));
          await rename(join(maildir, 'tmp', name), join(maildir, 'new', name));
        }),
      );
    },
  });
  return { maildir, server, writes };
}

describe('wireprobe run --target --maildir against a server that adds header fields around the message', () => {
  it.each([
    [false, { verdict: 'conformant', sink: { copies: 1, intact: true } }],
    [true, { verdict: 'deviates', sink: { copies: 1, intact: false } }],
  ])('damaged %s: counts the stored message as what arrived', async (damage, expected) => {
    const { maildir, server, writes } = await storingServer(damage);
    try {
      const scenarios = join(dir, 'store.yaml');
      await writeFile(scenarios, 'name: store\nprotocol: smtp\nscenarios:\n  - name: small\n    size: 4KiB\n');
      const json = join(dir, `store-${damage}.json`);
      const { code, stderr } = await inProcess([
        ...runTarget(scenarios, 'nodemailer', `store=smtp://127.0.0.1:${server.port}`, '--maildir', maildir),
        '--json',
        json,
      ]);
      expect(stderr).not.toMatch(/bad|error/i);
      expect(code).toBe(0);
      await Promise.all(writes);
      const [result] = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      expect(result).toMatchObject({ id: 'store/small/nodemailer@store', outcome: { kind: 'delivered', phase: 'dot' }, ...expected });
      if (damage) expect(result!.reason).toMatch(/differs from what was sent/);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target --maildir against a server that answers the end of the data late', () => {
  it("makes a client's timeout at the dot n/a when the server took the message: its pace, not the scenario's fault", async () => {
    const { maildir, server, writes } = await storingServer(false);
    // The user's server: the storing mock behind a proxy that holds each 250 to the dot 4 s (aiosmtpd
    // took 2.6 s for 50 MiB); the clean and the throttled scenarios' clients wait 2 s for it, so the
    // throttle has a second to pass the body's tail on, however loaded the machine. (A throttle still
    // holding the tail as the client gives up: external-target-silent.test.ts.)
    const slow = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      protocol: 'smtp',
      faults: [parseFault('delay 4s before reply to dot')],
    });
    try {
      const scenarios = join(dir, 'slow.yaml');
      const yaml = [
        'name: slow',
        'protocol: smtp',
        'scenarios:',
        '  - name: clean',
        '    size: 4KiB',
        '    timeouts: { socket: 2s, deadline: 10s }',
        '  - name: throttled',
        '    size: 64KiB',
        '    fault: { kind: throttle, bytesPerSecond: 1048576, at: connect, toward: server }',
        '    timeouts: { socket: 2s, deadline: 10s }',
        '  - name: stalled',
        '    size: 4KiB',
        '    fault: stall before reply to dot',
        '    expect: fails',
        '    timeouts: { socket: 5s, deadline: 12s }',
      ];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const json = join(dir, 'slow.json');
      const { code } = await inProcess([...runTarget(scenarios, 'nodemailer', `slow=smtp://127.0.0.1:${slow.port}`, '--maildir', maildir), '--json', json]);
      expect(code).toBe(0);
      await Promise.all(writes);
      const results = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      const cell = (name: string) => results.find((r) => r.id === `slow/${name}/nodemailer@slow`)!;
      expect(cell('clean')).toMatchObject({ verdict: 'n/a', outcome: { kind: 'timeout', phase: 'dot' }, sink: { copies: 1, intact: true } });
      expect(cell('clean').reason).toMatch(
        /^the server took the message but answered the end of the data late \(timeout@dot: the client timed out waiting for it\): its own pace or load/,
      );
      // The throttle passed the 64 KiB on within 0.1 s of the dot; the server then took the rest of the wait.
      expect(cell('throttled')).toMatchObject({ verdict: 'n/a', outcome: { kind: 'timeout', phase: 'dot' }, sink: { copies: 1, intact: true } });
      expect(cell('throttled').reason).toMatch(
        /^the server took the message but left the end of the data unanswered \d\.\d s after the throttle had passed it on/,
      );
      // The scenario's own stall holds the late reply (the client waits 5 s for it, past the 4 s the server takes): judged as ever.
      expect(cell('stalled')).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'timeout', phase: 'dot' } });
    } finally {
      await slow.close();
      await server.close();
    }
  });
});

describe('wireprobe run --target against a server that greets late once the run has begun', () => {
  it("makes a client's timeout before the greeting n/a: the server's load, measured idle when first reached", async () => {
    const server = await startSmtpServer();
    // wireprobe's first look at the target (a connection to see it is up, one to learn its facts) is
    // greeted at once, the run's client, third, 2 s late.
    const busy = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      protocol: 'smtp',
      faults: [{ ...parseFault('delay 2s on connect'), connection: 3 }],
    });
    try {
      const scenarios = join(dir, 'busy.yaml');
      await writeFile(
        scenarios,
        'name: busy\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n    timeouts: { connect: 1s, greeting: 1s, socket: 1s, deadline: 6s }\n',
      );
      const json = join(dir, 'busy.json');
      const { code } = await inProcess([...runTarget(scenarios, 'nodemailer', `busy=smtp://127.0.0.1:${busy.port}`), '--json', json]);
      expect(code).toBe(0);
      const [result] = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      expect(busy.sessions().map((s) => s.faultFired)).toEqual([false, false, true]);
      expect(result).toMatchObject({ verdict: 'n/a', outcome: { kind: 'timeout' } });
      expect(['connect', 'greeting']).toContain(result!.outcome!.phase);
      expect(result!.reason).toMatch(/^the server sent no greeting in time \(timeout@\w+: the client timed out waiting for it\): its own pace or load/);
    } finally {
      await busy.close();
      await server.close();
    }
  });
});

describe('wireprobe run --target --maildir with a client that composes its own message', () => {
  it('is n/a: its messages carry no tag of the run to tell them from others in the shared mailbox', async () => {
    const { maildir, server } = await storingServer(false);
    try {
      const scenarios = join(dir, 'composed.yaml');
      await writeFile(scenarios, 'name: composed\nprotocol: smtp\nscenarios:\n  - name: small\n    size: 4KiB\n');
      const config = join(dir, 'composed.config.yaml');
      await writeFile(
        config,
        'clients:\n  - name: mailx\n    protocol: smtp\n    message: own\n    command: curl -sS smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} -T {message}\n',
      );
      const json = join(dir, 'composed.json');
      const { code, stderr } = await inProcess([
        ...runTarget(scenarios, 'mailx', `store=smtp://127.0.0.1:${server.port}`, '--maildir', maildir),
        '--config',
        config,
        '--json',
        json,
      ]);
      expect(stderr).toBe(`wireprobe: this run sends 0 message(s): 0 to smtp://127.0.0.1:${server.port} (--max-messages 25)\n`);
      expect(code).toBe(0);
      const [result] = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      expect(result).toMatchObject({ verdict: 'n/a', outcome: null });
      expect(result!.reason).toBe(
        "mailx composes its own messages, which cannot be told from others' in a mailbox store shares (it carries no tag of this run)",
      );
    } finally {
      await server.close();
    }
  });
});

/** Module clients that time out on their own, for the cases the server's pace must not explain. */
const MODULES: Record<string, string> = {
  // Never connects: no session at all (an error: see src/engine/protocol-run.ts neverConnected).
  'absent.mjs':
    'export async function send(job) { await new Promise((r) => setTimeout(r, job.timeouts.socket)); throw Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }); }',
  // Greeted at once, never says a word.
  'mute.mjs': `import net from 'node:net';
export async function send(job) {
  const socket = net.connect(job.port, job.host);
  await new Promise((r) => socket.once('data', r));
  await new Promise((r) => setTimeout(r, job.timeouts.socket));
  socket.destroy();
  throw Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
}`,
  // Sends its message, is shown the 250, then never ends the session.
  'lingers.mjs': `import net from 'node:net';
export async function send(job) {
  const socket = net.connect(job.port, job.host);
  let got = '';
  const reply = (code) => new Promise((r) => { const on = () => { if (new RegExp('(^|\\\\n)' + code + ' ').test(got)) { got = ''; socket.off('data', each); r(); } }; const each = (d) => { got += d; on(); }; socket.on('data', each); });
  await reply(220);
  for (const [line, code] of [['EHLO x', 250], ['MAIL FROM:<' + job.from + '>', 250], ['RCPT TO:<' + job.to[0] + '>', 250], ['DATA', 354]]) { const r = reply(code); socket.write(line + '\\r\\n'); await r; }
  const done = reply(250);
  socket.write(job.message); socket.write('.\\r\\n');
  await done;
  await new Promise((r) => setTimeout(r, job.timeouts.socket));
  socket.destroy();
  throw Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
}`,
};

describe('wireprobe run --target: a client that times out on its own against a prompt server', () => {
  it.each([
    ['absent.mjs', 'timeout@connect, no session'],
    ['mute.mjs', 'greeted at once, no command'],
    ['lingers.mjs', 'shown the 250 to its dot'],
  ])('%s (%s) is judged, not put down to the server', async (module) => {
    const { maildir, server, writes } = await storingServer(false);
    try {
      const file = join(dir, module);
      await writeFile(file, MODULES[module]!);
      const scenarios = join(dir, 'own.yaml');
      await writeFile(scenarios, 'name: own\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n    timeouts: { socket: 1s, deadline: 6s }\n');
      const json = join(dir, `own-${module}.json`);
      const { code } = await inProcess([...runTarget(scenarios, file, `prompt=smtp://127.0.0.1:${server.port}`, '--maildir', maildir), '--json', json]);
      expect(code).toBe(0);
      await Promise.all(writes);
      const [result] = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      if (module === 'absent.mjs') {
        // Nothing reached the proxy: the client's own doing, an error with its words, not the server's pace.
        expect(result).toMatchObject({ verdict: 'error', outcome: null });
        expect(result!.reason).toMatch(/^absent never connected: nothing reached .*; it reported a failure: ETIMEDOUT: timed out$/);
        return;
      }
      expect(result!.outcome?.kind).toBe('timeout');
      expect(result!.verdict).toBe('deviates');
    } finally {
      await server.close();
    }
  });
});
