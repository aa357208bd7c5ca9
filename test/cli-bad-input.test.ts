/**
 * Bad input, command by command: exit code 2, exactly one line on stderr naming the bad value (cut when
 * huge, never a password), nothing on stdout, no stack. Run through the CLI's entry function `main` in
 * process; a few run as real processes through bin/wireprobe.js, as a user runs them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { listenHost } from '../src/commands/args.js';
import { runCli, startCli } from './helpers/cli-process.js';

const SECRET = 'S3cretPW-never-shown';

/** A stream that keeps what is written to it. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function inProcess(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout, stderr, env: { NO_COLOR: '1', ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const asProcess = (args: readonly string[]) => runCli(args);

let dir: string;
let aFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-bad-input-'));
  aFile = join(dir, 'a-file');
  await writeFile(aFile, 'x');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HUGE = 'x'.repeat(100_000);

/** [args, what stderr must name]; paths under the test's folder are given as functions of it. */
const CASES: readonly (readonly [string, () => string[], RegExp])[] = [
  ['run: unknown suite', () => ['run', '--suite', 'smtp/resetz'], /unknown suite "smtp\/resetz"/],
  ['run: a suite list with no name', () => ['run', '--suite', ','], /bad --suite ",": no name in it/],
  ['run: unknown client', () => ['run', '--client', 'outlook'], /unknown client "outlook"/],
  [
    'run: a built-in client named twice',
    () => ['run', '--client', 'nodemailer,nodemailer'],
    /^wireprobe: bad --client: the client "nodemailer" is named twice/,
  ],
  ['run: a built-in client given twice', () => ['run', '--client', 'curl', '--client', 'curl'], /^wireprobe: bad --client: the client "curl" is named twice/],
  ['matrix: a client named twice', () => ['matrix', 'smtp', '--clients', 'swaks,curl,swaks'], /^wireprobe: bad --clients: the client "swaks" is named twice/],
  [
    'run: a command template with a bad substitution',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${, on purpose
    () => ['run', '--client', 'cmd:x=curl ${x {from}'],
    /^wireprobe: command client "x": "\$\{x \{from\}" is a bad substitution \(sh would refuse it\) in "curl \$\{x \{from\}"\n$/,
  ],
  [
    'run: a command template with an unterminated quote',
    () => ['run', '--client', 'cmd:x=curl "{from}'],
    /^wireprobe: command client "x": the " quote at character 6 is never closed \(sh would refuse it\) in "curl \\"\{from\}"\n$/,
  ],
  ['run: concurrency 0', () => ['run', '--concurrency', '0'], /bad --concurrency "0"/],
  ['run: negative concurrency', () => ['run', '--concurrency', '-5'], /bad --concurrency "-5"/],
  ['run: concurrency not a number', () => ['run', '--concurrency', 'many'], /bad --concurrency "many"/],
  ['run: unknown server', () => ['run', '--server', 'sendmail'], /unknown server "sendmail"/],
  ['run: unknown option', () => ['run', '--bogus'], /'--bogus'/],
  ['run: extra argument', () => ['run', 'extra'], /unexpected argument "extra"/],
  ['run: --json in /proc', () => ['run', '--json', '/proc/x.json'], /bad --json "\/proc\/x\.json": cannot create files in \/proc/],
  [
    'run: --json under a missing /proc folder',
    () => ['run', '--json', '/proc/sub/x.json'],
    /bad --json "\/proc\/sub\/x\.json": cannot create anything in \/proc/,
  ],
  ['run: --transcripts in /proc', () => ['run', '--transcripts', '/proc/xdir'], /bad --transcripts "\/proc\/xdir": cannot create anything in \/proc/],
  ['run: --html is a folder', () => ['run', '--html', dir], /bad --html ".*": it is a directory/],
  ['run: --junit under a file', () => ['run', '--junit', join(aFile, 'x.xml')], /bad --junit ".*a-file\/x\.xml": .*a-file is not a directory/],
  ['run: --transcripts is a file', () => ['run', '--transcripts', aFile], /bad --transcripts ".*a-file": it is not a directory/],
  [
    'run: nothing runnable',
    () => ['run', '--suite', 'ftp/resets', '--client', 'nodemailer'],
    /nothing to run: the suites chosen are ftp .* the clients smtp \(nodemailer\)/,
  ],
  ['run: an option of another command', () => ['run', '--fault', 'reset'], /option --fault does not apply to "run"/],
  ['run: a 100k-character suite name', () => ['run', '--suite', HUGE], /unknown suite "x{80}…" \(100000 chars\)/],
  ['matrix: unknown protocol', () => ['matrix', 'pop3'], /matrix needs a protocol.*"pop3"/],
  ['matrix: no protocol', () => ['matrix'], /matrix needs a protocol.*got none/],
  ['matrix: suite of the other protocol', () => ['matrix', 'ftp', '--suite', 'smtp/resets'], /suite "smtp\/resets" is not one of the ftp suites/],
  ['matrix: no client of the protocol', () => ['matrix', 'smtp', '--clients', 'lftp'], /no smtp client among --clients "lftp"/],
  ['matrix: server of the other protocol', () => ['matrix', 'ftp', '--servers', 'postfix'], /unknown server "postfix"/],
  ['matrix: concurrency too high', () => ['matrix', 'smtp', '--concurrency', '65'], /bad --concurrency "65"/],
  ['matrix: --json in /proc', () => ['matrix', 'smtp', '--json', '/proc/x.json'], /bad --json "\/proc\/x\.json"/],
  ['list: --json', () => ['list', '--json', 'x.json'], /option --json does not apply to "list"/],
  ['list: unknown suite', () => ['list', '--suite', 'nope'], /unknown suite "nope"/],
  ['list: extra argument', () => ['list', 'extra'], /unexpected argument "extra"/],
  ['list: empty suite list', () => ['list', '--suite', ',,'], /bad --suite ",,"/],
  ['serve: unknown protocol', () => ['serve', 'pop3'], /serve needs a protocol.*"pop3"/],
  ['serve smtp: fault typo', () => ['serve', 'smtp', '--fault', 'reset aftr greeting'], /at "aftr"/],
  ['serve smtp: FTP-only dataport fault', () => ['serve', 'smtp', '--fault', 'dataport refused'], /bad --fault "dataport refused": dataport is FTP only/],
  [
    'serve smtp: FTP-only channel data',
    () => ['serve', 'smtp', '--fault', 'reset after STOR +1MiB channel data'],
    /bad --fault "reset after STOR \+1MiB channel data": channel data is FTP only/,
  ],
  [
    'serve ftp: an SMTP trigger',
    () => ['serve', 'ftp', '--fault', 'reset after RCPT'],
    /^wireprobe: bad --fault "reset after RCPT": RCPT is SMTP only and can never fire on "serve ftp"\n$/,
  ],
  ['serve smtp: port too high', () => ['serve', 'smtp', '--port', '99999'], /bad --port "99999"/],
  ['serve smtp: negative port', () => ['serve', 'smtp', '--port', '-1'], /bad --port "-1"/],
  ['serve smtp: empty host', () => ['serve', 'smtp', '--host', ''], /bad --host "": expected an address/],
  ['serve smtp: host with a space', () => ['serve', 'smtp', '--host', 'a b'], /bad --host "a b"/],
  ['serve smtp: bad size', () => ['serve', 'smtp', '--size-limit', 'lots'], /bad --size-limit "lots"/],
  ['serve smtp: bad auth', () => ['serve', 'smtp', '--auth', 'maybe'], /bad --auth "maybe"/],
  ['serve smtp: bad tls', () => ['serve', 'smtp', '--tls', 'on'], /bad --tls "on"/],
  ["serve smtp: run's --tls all", () => ['serve', 'smtp', '--tls', 'all'], /bad --tls "all"/],
  ['run: bad tls variant', () => ['run', '--tls', 'on'], /^wireprobe: bad --tls "on": expected none, starttls, implicit or all\n$/],
  [
    'matrix: a TLS mode for a variant',
    () => ['matrix', 'smtp', '--tls', 'starttls-verify'],
    /bad --tls "starttls-verify": expected none, starttls, implicit or all/,
  ],
  ['serve smtp: nth 0', () => ['serve', 'smtp', '--nth', '0'], /bad --nth "0"/],
  ['serve smtp: negative max-clients', () => ['serve', 'smtp', '--max-clients', '-3'], /bad --max-clients "-3"/],
  ['serve smtp: --user without --auth', () => ['serve', 'smtp', '--user', `alice:${SECRET}`], /--user needs --auth optional or --auth required/],
  ['serve smtp: a 100k-character fault', () => ['serve', 'smtp', '--fault', `reset after ${HUGE}`], /bad fault "reset after x{68}…" \(100012 chars\)/],
  ['serve ftp: bad idle timeout', () => ['serve', 'ftp', '--idle-timeout', 'soon'], /bad --idle-timeout "soon"/],
  ['serve ftp: bad anonymous', () => ['serve', 'ftp', '--anonymous', 'maybe'], /bad --anonymous "maybe"/],
  ['serve ftp: bad active', () => ['serve', 'ftp', '--active', 'yes'], /bad --active "yes"/],
  ['serve ftp: bad max-per-address', () => ['serve', 'ftp', '--max-per-address', 'x'], /bad --max-per-address "x"/],
  ['serve ftp: an SMTP option', () => ['serve', 'ftp', '--size-limit', '1MiB'], /option --size-limit does not apply to "serve ftp"/],
  ['serve ftp: --user without a password', () => ['serve', 'ftp', '--user', 'alice'], /bad --user: expected NAME:PASSWORD/],
  [
    'serve ftp: unset --password-env',
    () => ['serve', 'ftp', '--user', 'bob', '--password-env', 'WIREPROBE_TEST_UNSET'],
    /bad --password-env "WIREPROBE_TEST_UNSET": the variable is not set/,
  ],
  [
    'serve ftp: missing --password-file',
    () => ['serve', 'ftp', '--user', 'bob', '--password-file', join(dir, 'none')],
    /bad --password-file ".*none": cannot read it \(ENOENT\)/,
  ],
  ['probe: no target', () => ['probe'], /probe needs a target/],
  ['probe: unknown scheme', () => ['probe', 'http://127.0.0.1'], /unknown scheme "http:\/\/"/],
  [
    'probe: bad port, user with @',
    () => ['probe', `ftp://bob@corp.test:${SECRET}@127.0.0.1:abc`],
    /bad port "abc" in "ftp:\/\/bob@corp\.test:\*\*\*@127\.0\.0\.1:abc"/,
  ],
  ['probe: port 0', () => ['probe', 'smtp://127.0.0.1:0'], /bad port "0"/],
  ['probe: bad --fail-on', () => ['probe', 'smtp://127.0.0.1', '--fail-on', 'never'], /bad --fail-on "never"/],
  ['probe: negative --timeout', () => ['probe', 'smtp://127.0.0.1', '--timeout', '-1'], /bad --timeout "-1"/],
  ['probe: --max-sessions 0', () => ['probe', 'smtp://127.0.0.1', '--max-sessions', '0'], /bad --max-sessions "0"/],
  ['probe: --json in /proc', () => ['probe', 'smtp://127.0.0.1:9', '--json', '/proc/x.json'], /bad --json "\/proc\/x\.json"/],
  [
    'probe: password in the URL and --password-env',
    () => ['probe', `ftp://bob:${SECRET}@127.0.0.1`, '--password-file', aFile],
    /name the user and no password/,
  ],
  ['probe: a serve option', () => ['probe', 'smtp://127.0.0.1', '--fault', 'reset'], /option --fault does not apply to "probe"/],
  ['probe: extra argument', () => ['probe', 'smtp://127.0.0.1', 'extra'], /unexpected argument "extra"/],
  ['unknown command', () => ['frobnicate'], /unknown command "frobnicate"/],
];

describe('bad input: exit 2, one line naming the value', () => {
  it('has at least 40 cases over every command', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    for (const command of ['run', 'matrix', 'list', 'serve smtp', 'serve ftp', 'probe']) {
      expect(
        CASES.some(([name]) => name.startsWith(`${command}:`)),
        command,
      ).toBe(true);
    }
  });

  it.each(CASES)('%s', async (_name, args, named) => {
    const { code, stdout, stderr } = await inProcess(args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(named);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.slice(0, -1).split('\n')).toHaveLength(1);
    expect(stderr.length).toBeLessThan(1200);
    expect(stderr).not.toContain(SECRET);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names a bad environment variable', async () => {
    const { code, stderr } = await inProcess(['run', '--suite', 'ftp/uploads'], { WIREPROBE_FTP_UPLOAD_MIB: '200MB' });
    expect(code).toBe(2);
    expect(stderr).toBe('wireprobe: bad WIREPROBE_FTP_UPLOAD_MIB "200MB": expected a whole number of MiB from 1 to 1024\n');
  });

  it.each([
    [['run', '--concurrency', '-5'], /^wireprobe: bad --concurrency "-5": expected a whole number from 1 to 64\n$/],
    [['serve', 'smtp', '--host', ''], /^wireprobe: bad --host "": expected an address/],
    [['probe', `ftp://bob@corp.test:${SECRET}@127.0.0.1:abc`], /^wireprobe: bad port "abc" in "ftp:\/\/bob@corp\.test:\*\*\*@127\.0\.0\.1:abc"/],
    [['run', '--json', '/proc/x.json'], /^wireprobe: bad --json "\/proc\/x\.json"/],
  ])('as a real process: %j', async (args, named) => {
    const { code, stdout, stderr } = await asProcess(args);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(named);
    expect(stderr.slice(0, -1).split('\n')).toHaveLength(1);
    expect(stderr).not.toContain(SECRET);
  });
});

describe('a closed stdout', () => {
  it('ends `wireprobe list | head -1` quietly: no EPIPE stack, exit 0', async () => {
    const child = startCli(['list']);
    // The reader goes away before the first line: every write of the child meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('listen addresses', () => {
  it.each([
    ['127.0.0.1', undefined],
    ['127.0.0.2', undefined],
    ['::1', undefined],
    ['localhost', undefined],
    ['0.0.0.0', 'warning: --host 0.0.0.0 (every interface) is not loopback: this deliberately misbehaving server is reachable from the network'],
    ['::', 'warning: --host :: (every interface) is not loopback: this deliberately misbehaving server is reachable from the network'],
    ['192.0.2.7', 'warning: --host 192.0.2.7 is not loopback: this deliberately misbehaving server is reachable from the network'],
  ])('--host %s: warning %s (checked without listening)', (host, warning) => {
    expect(listenHost(host)).toEqual({ host, ...(warning ? { warning } : {}) });
  });

  it('refuses an empty or blank --host instead of listening on every interface', () => {
    expect(() => listenHost('')).toThrow('bad --host "": expected an address to listen on');
    expect(() => listenHost('  ')).toThrow('bad --host "  ": expected an address to listen on');
  });
});
