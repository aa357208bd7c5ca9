/** The command line as a user runs it: `node bin/wireprobe.js ...` in a child process. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './helpers/cli-process.js';

const start = startCli;
const run = runCli;

describe('wireprobe command line', () => {
  it.each([
    [['run', '--suite', 'smtp/resetz'], /unknown suite "smtp\/resetz"/],
    [['run', '--client', 'outlook'], /unknown client "outlook"/],
    [['run', '--concurrency', '0'], /bad --concurrency "0"/],
    [['run', '--bogus'], /bogus/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['serve', 'pop3'], /"pop3"/],
    [['serve', 'ftp', '--idle-timeout', 'soon'], /bad --idle-timeout "soon"/],
    [['serve', 'ftp', '--user', 'alice'], /bad --user: expected NAME:PASSWORD/],
    [['serve', 'ftp', '--size-limit', '1MiB'], /--size-limit does not apply to "serve ftp"/],
    [['serve', 'smtp', '--fault', 'reset aftr greeting'], /at "aftr"/],
    [['serve', 'smtp', '--port', '99999'], /bad --port "99999"/],
    [['serve', 'smtp', '--size-limit', 'lots'], /bad --size-limit "lots"/],
    [['serve', 'smtp', '--keep', 'all'], /bad --keep "all"/],
    [['list', '--json', 'x.json'], /--json does not apply to "list"/],
    [['run', '--json', '/etc/hostname/out.json'], /bad --json "\/etc\/hostname\/out.json": \/etc\/hostname is not a directory/],
    [['run', '--html', '/tmp'], /bad --html "\/tmp": it is a directory/],
    [['run', '--server', 'sendmail'], /unknown server "sendmail"/],
    [['matrix', 'pop3'], /matrix needs a protocol/],
    [['matrix', 'ftp', '--suite', 'smtp/resets'], /suite "smtp\/resets" is not one of the ftp suites/],
  ])('rejects %j with one line naming the bad value and exit code 2', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad WIREPROBE_FTP_UPLOAD_MIB with one line naming it, before running anything', async () => {
    const { code, stdout, stderr } = await run(['run', '--suite', 'ftp/uploads'], { WIREPROBE_FTP_UPLOAD_MIB: '200MB' });
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toBe('wireprobe: bad WIREPROBE_FTP_UPLOAD_MIB "200MB": expected a whole number of MiB from 1 to 1024\n');
  });

  it('prints help with examples and the fault syntax', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain("wireprobe serve smtp --fault 'reset after DATA +64KiB'");
    expect(stdout).toContain('before reply to RCPT');
  });

  it('lists suites with each scenario, its fault and the expectation', async () => {
    const { code, stdout } = await run(['list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/smtp\/resets\/reset-mid-body-64k\s+reset after DATA \+64KiB\s+client fails/);
    expect(stdout).toMatch(/nodemailer-pool/);
  });

  it('runs a suite, writes JSON and JUnit, and exits 1 on deviations with --fail-on-deviation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-cli-'));
    try {
      const json = join(dir, 'out.json');
      const junit = join(dir, 'out.xml');
      const { code, stdout } = await run(['run', '--suite', 'smtp/resets', '--client', 'nodemailer', '--json', json, '--junit', junit, '--fail-on-deviation']);
      expect(code).toBe(1);
      expect(stdout).toMatch(/32 scenarios: 24 conformant, 2 deviate, 0 unfired, 0 errors, 6 n\/a/);
      const report = JSON.parse(await readFile(json, 'utf8'));
      expect(report.tool).toBe('wireprobe');
      expect(report.summary).toEqual({ total: 32, conformant: 24, deviates: 2, unfired: 0, error: 0, na: 6 });
      expect(report.results[9]).toMatchObject({
        id: 'smtp/resets/reset-mid-body-64k/nodemailer',
        suite: 'smtp/resets',
        protocol: 'smtp',
        client: 'nodemailer',
        server: 'mock-smtp',
        fault: { kind: 'reset', at: { after: 'DATA', bytes: 65536 } },
        faultFired: true,
        outcome: { kind: 'reset', phase: 'body', bytesSent: 65536 },
        verdict: 'conformant',
      });
      expect(await readFile(junit, 'utf8')).toMatch(/<testcase[^>]+name="smtp\/resets\/reset-after-quit\/nodemailer"[\s\S]*?<failure/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs a matrix of clients x servers x faults with JSON and HTML reports carrying the server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-matrix-'));
    try {
      const json = join(dir, 'm.json');
      const html = join(dir, 'm.html');
      const { code, stdout } = await run([
        'matrix',
        'ftp',
        '--suite',
        'ftp/modes',
        '--clients',
        'basic-ftp',
        '--servers',
        'mock-ftp,vsftpd',
        '--json',
        json,
        '--html',
        html,
      ]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/basic-ftp\/passive@vsftpd/);
      const report = JSON.parse(await readFile(json, 'utf8')) as { results: { id: string; server: string; verdict: string }[] };
      const servers = new Set(report.results.map((r) => r.server));
      expect([...servers].sort()).toEqual(['mock-ftp', 'vsftpd']);
      expect(report.results.find((r) => r.id === 'ftp/modes/baseline-upload/basic-ftp/passive@vsftpd')?.verdict).toBe('conformant');
      const page = await readFile(html, 'utf8');
      expect(page).toContain('ftp/modes/baseline-upload/basic-ftp/passive@vsftpd');
      expect(page).not.toMatch(/https?:\/\//);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves a misbehaving SMTP server until interrupted (SIGINT: one line, exit 130), faulting only the Nth connection', async () => {
    const child = start(['serve', 'smtp', '--fault', 'reset after DATA +64KiB', '--nth', '1']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on (smtp:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
    });
    const transport = nodemailer.createTransport({ url, ignoreTLS: true });
    const message = { envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: `Subject: x\r\n\r\n${'y'.repeat(78)}\r\n`.repeat(2000) };
    await expect(transport.sendMail(message)).rejects.toMatchObject({ code: 'ESOCKET' });
    await expect(transport.sendMail(message)).resolves.toMatchObject({ accepted: ['b@wireprobe.test'] });
    transport.close();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toBe(`wireprobe: interrupted (SIGINT): SMTP server on ${url} stopped\n`);
    expect(stdout).toContain('fault fired: reset after DATA +64KiB connection 1');
    expect(stdout).toMatch(/RST to client/);
    expect(stdout).toMatch(/accepted message: from <a@wireprobe.test> to <b@wireprobe.test>, \d+ bytes, sha256 [0-9a-f]{64}/);
  });

  it('serves a misbehaving FTP server until stopped (SIGTERM: exit 143): a data-channel RST on the first session, the upload stored on the second', async () => {
    const child = start(['serve', 'ftp', '--fault', 'reset after STOR +64KiB channel data', '--nth', '1', '--user', 'alice:s3cret', '--anonymous', 'off']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const port = await new Promise<number>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on ftp:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
    });
    const data = Buffer.alloc(1024 * 1024, 7);
    const upload = async (): Promise<unknown> => {
      const client = new Client(5_000);
      try {
        await client.access({ host: '127.0.0.1', port, user: 'alice', password: 's3cret' });
        return await client.uploadFrom(Readable.from(data), '/up.bin');
      } finally {
        client.close();
      }
    };
    await expect(upload()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(upload()).resolves.toMatchObject({ code: 226 });
    const exited = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stdout).toMatch(/data 1: fault fired: reset after STOR \+64KiB channel data connection 1/);
    expect(stdout).toMatch(/stored \/up\.bin: 1048576 bytes, sha256 [0-9a-f]{64}\n/);
    expect(stdout).toMatch(/PASS \*\*\*/);
    expect(stdout).not.toContain('s3cret');
  });
  it('serves SMTP AUTH for a --user whose password comes from --password-env, never showing it', async () => {
    const secret = 'Env-Pw-93c1';
    const child = start(['serve', 'smtp', '--auth', 'required', '--user', 'joe', '--password-env', 'WIREPROBE_TEST_PW'], { WIREPROBE_TEST_PW: secret });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on (smtp:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
    });
    const message = { envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: 'Subject: x\r\n\r\nhi\r\n' };
    for (const authMethod of ['PLAIN', 'LOGIN']) {
      const transport = nodemailer.createTransport({ url, ignoreTLS: true, authMethod, auth: { user: 'joe', pass: secret } });
      await expect(transport.sendMail(message)).resolves.toMatchObject({ accepted: ['b@wireprobe.test'] });
      transport.close();
    }
    const wrong = nodemailer.createTransport({ url, ignoreTLS: true, auth: { user: 'joe', pass: 'wrong' } });
    await expect(wrong.sendMail(message)).rejects.toMatchObject({ responseCode: 535 });
    wrong.close();
    const exited = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/AUTH PLAIN \*\*\*/);
    for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(`\0joe\0${secret}`).toString('base64')]) expect(stdout).not.toContain(form);
  });

  it('brackets an IPv6 listen address in the URL it prints, with no warning for loopback ::1', async () => {
    const v6 = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    const child = start(['serve', 'smtp', '--host', '::1']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    if (!v6) {
      // No IPv6 loopback here: the refusal is one line, exit 2.
      expect(await exited).toBe(2);
      expect(stderr).toMatch(/^wireprobe: cannot listen: .*::1.*\n$/);
      return;
    }
    const port = await new Promise<number>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on smtp:\/\/\[::1\]:(\d+)\n/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
    });
    const greeting = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '::1');
      socket.once('data', (d: Buffer) => {
        socket.destroy();
        resolve(d.toString());
      });
    });
    expect(greeting).toMatch(/^220 /);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/^wireprobe: interrupted \(SIGINT\): SMTP server on smtp:\/\/\[::1\]:\d+ stopped\n$/); // one line, no warning for ::1
  });
  it('serve ftp on ::1: PASV (IPv4 only) is refused with 425 pointing to EPSV, the session goes on, EPSV works', async () => {
    const v6 = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    const child = start(['serve', 'ftp', '--host', '::1']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    if (!v6) {
      expect(await exited).toBe(2); // no IPv6 loopback here: refused in one line
      return;
    }
    const port = await new Promise<number>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on ftp:\/\/\[::1\]:(\d+)\n/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
    });
    const socket = net.connect(port, '::1');
    let seen = '';
    const waiters: (() => void)[] = [];
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      for (const w of waiters.splice(0)) w();
    });
    /** The next final reply line after `from` characters of what was seen. */
    const reply = (from: number): Promise<string> =>
      new Promise((resolve) => {
        const check = (): void => {
          const m = /^(\d{3}) .*\r\n/m.exec(seen.slice(from));
          if (m) resolve(m[0].trim());
          else waiters.push(check);
        };
        check();
      });
    const command = async (line: string): Promise<string> => {
      const from = seen.length;
      socket.write(`${line}\r\n`);
      return reply(from);
    };
    expect(await reply(0)).toMatch(/^220 /);
    expect(await command('USER anonymous')).toMatch(/^(230|331) /);
    expect(await command('PASS guest@wireprobe.test')).toMatch(/^(230|202) /);
    expect(await command('PASV')).toBe('425 PASV cannot name an IPv6 address: use EPSV');
    expect(await command('EPSV')).toMatch(/^229 .*\(\|\|\|\d+\|\)/);
    expect(await command('NOOP')).toMatch(/^200 /);
    socket.destroy();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });
  it('serve prints what a hostile client sends escaped: no escape sequence reaches the terminal', async () => {
    const child = start(['serve', 'smtp']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    const exited = new Promise((resolve) => child.on('close', resolve));
    const port = await new Promise<number>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on smtp:\/\/127\.0\.0\.1:(\d+)\n/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
    });
    const socket = net.connect(port, '127.0.0.1');
    let seen = '';
    let sent = false;
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        seen += d.toString('latin1');
        if (/^220 /m.test(seen) && !sent) {
          sent = true;
          socket.write(Buffer.from('EHLO \x1b[2J\x1b]0;owned\x07\x9b31m.test\r\nQUIT\r\n', 'latin1'));
        }
        if (/^221 /m.test(seen)) resolve();
      });
    });
    socket.destroy();
    // The transcript line of the EHLO is printed as the proxy relays it: wait for it, then stop.
    await new Promise<void>((resolve) => {
      const check = (): void => void (/C {2}QUIT/.test(stdout) ? resolve() : child.stdout.once('data', check));
      check();
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toContain(String.raw`C  EHLO \x1b[2J\x1b]0;owned\x07\x9b31m.test`);
    expect(stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});
