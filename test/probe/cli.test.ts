/** `wireprobe probe` as a user runs it: `node bin/wireprobe.js probe ...` in a child process, loopback only. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { startSmtpServer, type SmtpServerHandle } from '../../servers/smtp.js';
import { SMTP_IDS } from '../../src/probe/smtp-ids.js';

const run = (args: readonly string[]) => runCli(args);

/** The XML of one JUnit testcase, by name. */
function testcase(xml: string, name: string): string {
  return new RegExp(`<testcase[^>]+name="${name.replace('.', '\\.')}"[\\s\\S]*?</testcase>`).exec(xml)?.[0] ?? '';
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('wireprobe probe (command line)', () => {
  let server: SmtpServerHandle;
  let dir: string;
  beforeAll(async () => {
    server = await startSmtpServer({ tls: 'starttls', sizeLimit: 10_000, maxClients: 2, auth: 'required', users: { alice: 's3cret-pw' } });
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-probe-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('probes an SMTP server, prints findings worst first, writes JSON and JUnit, exits 0', async () => {
    const json = join(dir, 'out.json');
    const junit = join(dir, 'out.xml');
    const { code, stdout, stderr } = await run([
      'probe',
      `smtp://alice:s3cret-pw@127.0.0.1:${server.port}`,
      '--json',
      json,
      '--junit',
      junit,
      '--timeout',
      '2000',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wireprobe probe smtp:\/\/alice@127\.0\.0\.1:\d+ \(smtp, IPv4 127\.0\.0\.1\)\n\nWARN \(3\)\n {2}WARN smtp\.tls = TLSv1\.[23]\n/);
    expect(stdout.indexOf('WARN (3)')).toBeLessThan(stdout.indexOf('PASS (14)'));
    expect(stdout.indexOf('PASS (14)')).toBeLessThan(stdout.indexOf('SKIP (3)'));
    expect(stdout).toMatch(/PASS smtp\.session-limit = 2\n {7}The limit is 2 concurrent sessions/);
    expect(stdout).toContain('20 findings: 0 fail, 3 warn, 14 pass, 3 skip');
    expect(stdout).not.toContain('s3cret-pw');
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(Object.keys(report)).toEqual(['tool', 'target', 'protocol', 'address', 'family', 'findings', 'summary']);
    expect(report).toMatchObject({
      tool: 'wireprobe',
      target: `smtp://alice@127.0.0.1:${server.port}`,
      protocol: 'smtp',
      address: '127.0.0.1',
      family: 4,
      summary: { pass: 14, warn: 3, fail: 0, skip: 3 },
    });
    expect(report.findings.map((f: { id: string }) => f.id).sort()).toEqual([...SMTP_IDS].sort());
    expect(Object.keys(report.findings.find((f: { id: string }) => f.id === 'smtp.size'))).toEqual([
      'id',
      'status',
      'value',
      'rfc',
      'sent',
      'received',
      'advice',
    ]);
    expect(await readFile(json, 'utf8')).not.toContain('s3cret-pw');
    const xml = await readFile(junit, 'utf8');
    expect(testcase(xml, 'smtp.idle-timeout')).toContain('<skipped/>');
    expect(testcase(xml, 'smtp.tls')).toContain('WARN: The certificate is self-signed');
    expect(xml).not.toMatch(/<failure/); // warnings fail a JUnit testcase only with --fail-on warn
    expect(xml).not.toContain('s3cret-pw');
    expect(server.messages).toEqual([]);
  });

  it('logs in with a password from --password-file (kept out of ps), the same findings as with the URL password', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 's3cret-pw\n', { mode: 0o600 });
    const json = join(dir, 'pwfile.json');
    const { code, stdout, stderr } = await run([
      'probe',
      `smtp://alice@127.0.0.1:${server.port}`,
      '--password-file',
      file,
      '--json',
      json,
      '--timeout',
      '2000',
    ]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toContain('20 findings: 0 fail, 3 warn, 14 pass, 3 skip');
    const text = await readFile(json, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ target: `smtp://alice@127.0.0.1:${server.port}` });
    for (const out of [stdout, text]) expect(out).not.toContain('s3cret-pw');
  });

  it('exits 1 with --fail-on warn when a warning is found, 0 with --fail-on fail when none fails', async () => {
    const target = `smtp://alice:s3cret-pw@127.0.0.1:${server.port}`;
    const junit = join(dir, 'warn.xml');
    const warn = await run(['probe', target, '--fail-on', 'warn', '--junit', junit, '--max-sessions', '1']);
    expect(warn.code).toBe(1);
    expect(testcase(await readFile(junit, 'utf8'), 'smtp.tls')).toMatch(/<failure message="The certificate is self-signed[^"]*" type="warn"/);
    const fail = await run(['probe', target, '--fail-on', 'fail', '--max-sessions', '1']);
    expect(fail.code).toBe(0);
  });

  it.each([
    [['probe', 'imap://127.0.0.1:143'], /^wireprobe: unknown scheme "imap:\/\/" in "imap:\/\/127\.0\.0\.1:143"/],
    [['probe', 'smtp://mail.example.test '], /^wireprobe: unknown host "mail\.example\.test ": a host name has no spaces\n$/],
    [['probe', 'CLOSED'], /^wireprobe: cannot connect to 127\.0\.0\.1:\d+: connection refused/],
    [['probe', 'smtp://127.0.0.1:25', '--fail-on', 'sometimes'], /^wireprobe: bad --fail-on "sometimes": expected fail, warn\n$/],
    [['probe', 'smtp://127.0.0.1:25', '--max-sessions', '0'], /^wireprobe: bad --max-sessions "0"/],
    [['probe', 'ftp://127.0.0.1:21', '--upload-size', 'lots'], /^wireprobe: bad --upload-size "lots": expected a size like 10MiB or 1000000\n$/],
    [['probe', 'ftp://127.0.0.1:21', '--upload-size', '512'], /^wireprobe: bad --upload-size "512": expected a size from 1KiB to 64GiB\n$/],
    [['probe', 'ftp://127.0.0.1:21', '--upload-size', '65GiB'], /^wireprobe: bad --upload-size "65GiB": expected a size from 1KiB to 64GiB\n$/],
    [['probe', 'ftp://127.0.0.1:21', '--max-data-idle', '1.5'], /^wireprobe: bad --max-data-idle "1.5": expected a whole number from 0 to 3600\n$/],
    [['probe', 'ftp://127.0.0.1:21', '--max-data-idle', '3601'], /^wireprobe: bad --max-data-idle "3601": expected a whole number from 0 to 3600\n$/],
    [['probe', 'ftp://127.0.0.1:21', '--quota-probe', '1000'], /^wireprobe: bad --quota-probe "1000": expected a size from 1KiB to 64GiB\n$/],
    [['probe'], /^wireprobe: probe needs a target/],
    [['probe', 'smtp://127.0.0.1:25', '--size-limit', '1k'], /--size-limit does not apply to "probe"/],
    [['probe', 'smtp://127.0.0.1:25', '--starttls', 'sometimes'], /^wireprobe: bad --starttls "sometimes": expected auto, off, require\n$/],
    [['probe', 'smtp://127.0.0.1:25', '--starttls', 'off\nrequire'], /^wireprobe: bad --starttls "off\\nrequire": expected auto, off, require\n$/],
    [
      ['probe', 'smtp://127.0.0.1:25', '--rcpt', '<postmaster>'],
      /^wireprobe: bad --rcpt "<postmaster>": expected local-part or local-part@domain, without <>, quotes or spaces\n$/,
    ],
    [
      ['probe', 'smtp://127.0.0.1:25', '--rcpt', 'a@example.test\r\nRCPT TO:<b@example.test>'],
      /^wireprobe: bad --rcpt "a@example\.test\\r\\nRCPT TO:<b@example\.test>": it holds a line break\n$/,
    ],
    [['probe', 'smtp://127.0.0.1:25', '--rcpt', ''], /^wireprobe: bad --rcpt "": it is empty\n$/],
  ])('rejects %j with one line and exit code 2', async (args, message) => {
    const resolved = args[1] === 'CLOSED' ? ['probe', `smtp://127.0.0.1:${await closedPort()}`] : args;
    const { code, stdout, stderr } = await run(resolved);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('takes --starttls require and --rcpt: the healthy server passes STARTTLS, nothing is delivered without --send', async () => {
    const json = join(dir, 'options.json');
    const { code, stderr } = await run([
      'probe',
      `smtp://alice:s3cret-pw@127.0.0.1:${server.port}`,
      '--starttls',
      'require',
      '--rcpt',
      'probe@example.test',
      '--max-sessions',
      '1',
      '--json',
      json,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8'));
    const size = report.findings.find((f: { id: string }) => f.id === 'smtp.size');
    expect(size).toMatchObject({ status: 'pass', value: 10_000 });
    expect(report.findings.find((f: { id: string }) => f.id === 'smtp.starttls').status).toBe('pass');
    const pipelining = report.findings.find((f: { id: string }) => f.id === 'smtp.pipelining');
    expect(pipelining.sent).toContain('RCPT TO:<probe@example.test>');
    expect(server.messages).toEqual([]);
  });

  it('lists the probe and its finding ids in the help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('wireprobe probe smtp://');
    for (const id of SMTP_IDS) expect(stdout).toContain(id);
  });
});
