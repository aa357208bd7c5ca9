/**
 * `run --target` against a server that goes silent on its own: a client that timed out on it, no fault
 * of the scenario's firing, is n/a (src/engine/own-silence.ts), where a fault of the scenario's that
 * fired is judged as ever. The user's server here is a mock behind a proxy of the test's own that never
 * relays one reply (pyftpdlib 1.5.7 left whole sessions unread; aiosmtpd answers late while it stores),
 * or a download's data, or stops reading a message's body (aiosmtpd reads slower than 12 MiB/s), or answers
 * the end of the data late behind a throttle of the scenario's.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import type { Result } from '../../src/engine/types.js';
import { inProcess } from '../helpers/in-process.js';
import { runTarget } from '../helpers/target-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-silent-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SILENT =
  /^the server itself left a command unanswered \(\d+\.\d s of silence\), no fault firing \(timeout@(\w+): the client timed out, as it should on a silent server\): its own pace or load/;

describe('wireprobe run --target against an FTP server that leaves a command unanswered', () => {
  it("makes the client's timeout n/a when no fault fired, and judges a scenario whose own fault fired", async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off' });
    // Only curl asks PWD, and wireprobe's first look: its read-back sessions never do. The reply is
    // never relayed (a transfer command would not do: a server may wait for the data connection first).
    const silent = await startProxy({
      upstream: { host: server.host, port: server.port },
      protocol: 'ftp',
      // Not on wireprobe's first look at the target (connection 1), which asks PWD for the login directory.
      faults: Array.from({ length: 20 }, (_, i) => ({ ...parseFault('stall before reply to PWD'), connection: i + 2 })),
    });
    try {
      const scenarios = join(dir, 'ftp.yaml');
      const yaml = [
        'name: silent',
        'protocol: ftp',
        'scenarios:',
        '  - name: clean',
        '    size: 1KiB',
        '    timeouts: { socket: 1s, deadline: 8s }',
        '  - name: stalled',
        '    size: 1KiB',
        '    fault: stall before PWD',
        '    expect: fails',
        '    timeouts: { socket: 1s, deadline: 8s }',
      ];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const json = join(dir, 'ftp.json');
      const target = `box=ftp://bob:pw@127.0.0.1:${silent.port}/`;
      const { code } = await inProcess(['run', '--scenarios', scenarios, '--client', 'curl', '--target', target, '--json', json]);
      expect(code).toBe(0);
      const results = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      const cell = (name: string) => results.find((r) => r.id === `silent/${name}/curl/passive@box`)!;
      expect(cell('clean')).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'pwd' } });
      expect(cell('clean').reason).toMatch(SILENT);
      // The scenario's own stall held the PWD back: the client's timeout is what the scenario asks of it.
      expect(cell('stalled')).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'timeout', phase: 'pwd' } });
    } finally {
      await silent.close();
      await server.close();
    }
  });
});

/** `wireprobe run` of `scenarios` with basic-ftp against the FTP target on `port` (user bob), its JSON report at `json`: the results. */
async function basicFtpRun(scenarios: string, port: number, json: string): Promise<Result[]> {
  const { code, stderr } = await inProcess([
    'run',
    '--scenarios',
    scenarios,
    '--client',
    'basic-ftp',
    '--target',
    `box=ftp://bob:pw@127.0.0.1:${port}/`,
    '--json',
    json,
  ]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(await readFile(json, 'utf8')).results as Result[];
}

describe('wireprobe run --target against an FTP server that goes silent in a download', () => {
  /** A download of 64 KiB with basic-ftp from a mock behind a proxy of the test's, `fault` on the client's connection. */
  async function download(name: string, fault: string): Promise<Result> {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off' });
    // On the run's client only: connection 1 is wireprobe's first look, 2 its AUTH TLS question, 3 its
    // own session putting the scenario's file (STOR, then RETR: that it can be read back).
    const faults = [{ ...parseFault(fault), connection: 4 }];
    const silent = await startProxy({ upstream: { host: server.host, port: server.port }, protocol: 'ftp', faults });
    try {
      const scenarios = join(dir, `${name}.yaml`);
      const yaml = [
        'name: silent',
        'protocol: ftp',
        'scenarios:',
        `  - name: ${name}`,
        '    size: 64KiB',
        '    ftp: { direction: download }',
        '    timeouts: { socket: 1s, deadline: 8s }',
      ];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const [result] = await basicFtpRun(scenarios, silent.port, join(dir, `${name}.json`));
      return result!;
    } finally {
      await silent.close();
      await server.close();
    }
  }

  it("makes the client's timeout n/a when the server sends nothing more on the data connection", async () => {
    const result = await download('data', 'stall after RETR +1KiB channel data');
    // The user's server passes the first KiB on, then nothing (the mock's 226 comes; the rest of the data
    // never does): basic-ftp times out on its data socket.
    expect(result).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'retr', bytesSent: 1024 } });
    expect(result.reason).toMatch(
      /^the server itself sent nothing on the data connection \(\d+\.\d s of silence\), no fault firing \(timeout@retr: the client timed out, as it should on a silent server\)/,
    );
  });

  it("makes the client's timeout n/a when the data is complete and the server never gives the transfer's final reply", async () => {
    // The control replies to RETR (150, 226) are held; the data connection goes on and ends.
    const result = await download('reply', 'stall before reply to RETR');
    // basic-ftp read the whole file, then timed out on its control socket waiting for the 226.
    expect(result).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'transfer', bytesSent: 65536 } });
    expect(result.reason).toMatch(SILENT);
  });
});

describe('wireprobe run --target against an FTP server that stops reading an upload', () => {
  it("makes the client's timeout n/a when the server leaves the upload unread, and judges a stall of the scenario's", async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off' });
    // The user's server stops reading every upload after 1 MiB (connection 1 is wireprobe's first look,
    // which uploads nothing): the kernel's buffers fill, and the client's writes stop.
    const deaf = await startProxy({
      upstream: { host: server.host, port: server.port },
      protocol: 'ftp',
      faults: [parseFault('stall after STOR +1MiB channel data')],
    });
    try {
      const scenarios = join(dir, 'upload.yaml');
      const scenario = (name: string, fault?: string): string[] => [
        `  - name: ${name}`,
        '    size: 48MiB',
        '    ftp: { direction: upload }',
        ...(fault ? [`    fault: ${fault}`] : []),
        ...(name === 'stalled' ? ['    expect: fails'] : []),
        '    timeouts: { socket: 1s, deadline: 8s }',
      ];
      const yaml = ['name: deaf', 'protocol: ftp', 'scenarios:', ...scenario('clean'), ...scenario('stalled', 'stall after STOR +512KiB channel data')];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const results = await basicFtpRun(scenarios, deaf.port, join(dir, 'upload.json'));
      const cell = (name: string) => results.find((r) => r.id === `deaf/${name}/basic-ftp/passive@box`)!;
      // basic-ftp's data socket timed out with its writes stopped: before the fix, `deviates`.
      expect(cell('clean')).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'transfer' } });
      expect(cell('clean').reason).toMatch(
        /^the server itself left the upload unread on the data connection \(\d+\.\d s at a stretch, its socket full\), no fault firing \(timeout@transfer: the client timed out, as it should on a silent server\)/,
      );
      // The scenario's own stall (the proxy stops relaying at 512 KiB, before the server stops reading): judged as ever.
      expect(cell('stalled')).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'timeout', phase: 'transfer', bytesSent: 524288 } });
    } finally {
      await deaf.close();
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server that leaves a command unanswered', () => {
  it("makes the client's timeout n/a when no fault fired", async () => {
    const server = await startSmtpServer();
    // Only the run's client sends RCPT (wireprobe's first look stops at MAIL); the reply is never relayed.
    const silent = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      protocol: 'smtp',
      faults: [parseFault('stall before reply to RCPT')],
    });
    try {
      const scenarios = join(dir, 'smtp.yaml');
      await writeFile(scenarios, 'name: silent\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n    timeouts: { socket: 1s, deadline: 8s }\n');
      const json = join(dir, 'smtp.json');
      const { code } = await inProcess([...runTarget(scenarios, 'nodemailer', `box=smtp://127.0.0.1:${silent.port}`), '--json', json]);
      expect(code).toBe(0);
      const [result] = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      expect(result).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'rcpt' } });
      expect(result!.reason).toMatch(SILENT);
    } finally {
      await silent.close();
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server that stops reading the body', () => {
  it("makes the client's timeout in the body n/a, with no fault or a throttle toward the server, and judges a stall of the scenario's", async () => {
    const server = await startSmtpServer({ sizeLimit: 64 * 1024 * 1024 });
    // The user's server stops reading after 1 MiB of every body (wireprobe's first look sends none).
    const deaf = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, protocol: 'smtp', faults: [parseFault('stall after DATA +1MiB')] });
    try {
      const scenarios = join(dir, 'deaf.yaml');
      const scenario = (name: string, fault?: string): string[] => [
        `  - name: ${name}`,
        '    size: 16MiB',
        ...(fault ? [`    fault: ${fault}`] : []),
        ...(name === 'stalled' ? ['    expect: fails'] : []),
        '    timeouts: { socket: 1s, deadline: 8s }',
      ];
      const yaml = [
        'name: deaf',
        'protocol: smtp',
        'scenarios:',
        ...scenario('clean'),
        ...scenario('throttled', 'throttle 64MiB/s toward server'),
        ...scenario('stalled', 'stall after DATA +512KiB'),
      ];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const json = join(dir, 'deaf.json');
      const { code } = await inProcess([...runTarget(scenarios, 'nodemailer', `box=smtp://127.0.0.1:${deaf.port}`), '--json', json]);
      expect(code).toBe(0);
      const results = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      const cell = (name: string) => results.find((r) => r.id === `deaf/${name}/nodemailer@box`)!;
      const UNREAD =
        /^the server itself left the message unread for \d+\.\d s in all \(its socket full, the client's octets held back\) \(timeout@body: the client timed out waiting for it\): its own pace or load/;
      expect(cell('clean')).toMatchObject({ verdict: 'n/a', faultFired: false, outcome: { kind: 'timeout', phase: 'body' } });
      expect(cell('clean').reason).toMatch(UNREAD);
      expect(cell('throttled')).toMatchObject({ verdict: 'n/a', faultFired: true, outcome: { kind: 'timeout', phase: 'body' } });
      expect(cell('throttled').reason).toMatch(UNREAD);
      // The scenario's own stall (the proxy stops relaying at 512 KiB, before the server stops reading at 1 MiB): judged as ever.
      expect(cell('stalled')).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'timeout', phase: 'body' } });
    } finally {
      await deaf.close();
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server slow to answer the end of the data, behind a throttle', () => {
  it('makes a timeout at the dot n/a once the throttle had passed the data on, and not while the throttle still held it', async () => {
    // The mock stores each message it accepts in a Maildir, which the run reads (--maildir) to see what arrived.
    const maildir = await mkdtemp(join(dir, 'Maildir-'));
    for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(maildir, sub));
    let n = 0;
    const server = await startSmtpServer({
      spool: 'on',
      onMessage: (m) => void copyFile(m.spooled!, join(maildir, 'new', `${++n}.late.test`)),
    });
    // Two users' servers: one answers the end of the data 3 s late, one at once.
    const slow = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      protocol: 'smtp',
      faults: [parseFault('delay 3s before reply to dot')],
    });
    const fast = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, protocol: 'smtp', faults: [] });
    try {
      const scenarios = join(dir, 'late.yaml');
      const yaml = [
        'name: late',
        'protocol: smtp',
        'scenarios:',
        // The throttle passes 4 MiB on in a blink: the wait for the 250 is the server's.
        '  - name: quick-throttle',
        '    size: 4MiB',
        '    fault: throttle 64MiB/s toward server',
        '    expect: delivers',
        '    timeouts: { socket: 1s, deadline: 8s }',
        // The throttle still holds the body (64 KiB at 32 KiB/s: 2 s) when the client gives up: the wait is the fault's.
        '  - name: long-tail',
        '    size: 64KiB',
        '    fault: throttle 32KiB/s toward server',
        '    expect: delivers',
        '    timeouts: { socket: 1s, deadline: 8s }',
      ];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const json = join(dir, 'late.json');
      const targets = ['--target', `fast=smtp://127.0.0.1:${fast.port}`, '--maildir', maildir, '--json', json];
      const { code } = await inProcess([...runTarget(scenarios, 'nodemailer', `slow=smtp://127.0.0.1:${slow.port}`), ...targets]);
      expect(code).toBe(0);
      const results = JSON.parse(await readFile(json, 'utf8')).results as Result[];
      const cell = (id: string) => results.find((r) => r.id === `late/${id}`)!;
      expect(cell('quick-throttle/nodemailer@slow')).toMatchObject({ verdict: 'n/a', faultFired: true, outcome: { kind: 'timeout', phase: 'dot' } });
      expect(cell('quick-throttle/nodemailer@slow').reason).toMatch(
        /^the server took the message but left the end of the data unanswered \d+\.\d s after the throttle had passed it on \(timeout@dot: the client timed out waiting for it\)/,
      );
      expect(cell('long-tail/nodemailer@fast')).toMatchObject({ verdict: 'deviates', faultFired: true, outcome: { kind: 'timeout', phase: 'dot' } });
    } finally {
      await slow.close();
      await fast.close();
      await server.close();
    }
  });
});
