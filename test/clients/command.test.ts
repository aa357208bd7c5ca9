/**
 * Command clients without the network: how a template is split and filled, which specs are refused
 * and with what line, and what a run hands the command (argv, environment, stdin, temp files) and
 * makes of how it ended. The commands are small sh scripts that write what they got to a file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCommandClient, commandClient, parseCommandClient, type CommandClientSpec } from '../../src/clients/command.js';
import { installed } from '../../src/clients/process.js';
import { fill, parseTemplate } from '../../src/clients/template.js';
import type { FtpClientAdapter, FtpJob, SmtpClientAdapter, SmtpJob } from '../../src/clients/types.js';
import { UsageError } from '../../src/util/usage-error.js';
import { digestOf } from '../../src/util/digest.js';
import type { JsonResult } from '../../src/report/json.js';
import { inProcess } from '../helpers/in-process.js';
import { contentOf } from '../../src/util/content.js';

const timeouts = { connect: 1_500, greeting: 5_000, socket: 10_000, deadline: 30_000 };
const smtpJob: SmtpJob = {
  host: '127.0.0.1',
  port: 2525,
  from: 'a b@x.test',
  to: ['first@x.test', 'second@x.test'],
  content: contentOf(Buffer.from('Subject: hi\r\n\r\nbody\r\n')),
  timeouts,
  auth: { user: 'me', password: 's3cret pw' },
};
const ftpJob: FtpJob = {
  host: '127.0.0.1',
  port: 2121,
  user: 'u',
  password: 'ftp-secret',
  mode: 'active',
  direction: 'upload',
  path: '/dir/up load.bin',
  content: contentOf(Buffer.from('file content')),
  timeouts,
};
const never = new AbortController().signal;

/** True while process `pid` runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The UsageError message `run` throws (fails the test if it throws something else or nothing). */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no UsageError');
}

describe('command templates', () => {
  it('splits words like a shell, then fills placeholders inside each word: a value with spaces stays one argument', () => {
    const template = parseTemplate(`mailer --to={to} "smtp://{host}:{port}" 'a b' '' --from {from}`, 'client');
    expect(template.program).toBe('mailer');
    expect([...template.uses].sort()).toEqual(['from', 'host', 'port', 'to']);
    expect(fill(template, { to: 'x y', host: 'h', port: '25', from: 'a; rm -rf / $(id)' })).toEqual([
      '--to=x y',
      'smtp://h:25',
      'a b',
      '',
      '--from',
      'a; rm -rf / $(id)',
    ]);
  });

  it('brackets an IPv6 {host} written right before a ":" (a URL authority, a host:port), and nowhere else (RFC 3986 §3.2.2)', () => {
    const template = parseTemplate(
      `mailer smtp://{host}:{port} --server={host}:{port} {host} '[{host}]:{port}' ftp://{user}@{host}:{port}{path} {host}.log`,
      'client',
    );
    const values = { port: '2525', user: 'u', path: '/in/f.bin' };
    expect(fill(template, { ...values, host: '::1' })).toEqual([
      'smtp://[::1]:2525',
      '--server=[::1]:2525',
      '::1',
      '[::1]:2525',
      'ftp://u@[::1]:2525/in/f.bin',
      '::1.log',
    ]);
    expect(fill(template, { ...values, host: '127.0.0.1' })).toEqual([
      'smtp://127.0.0.1:2525',
      '--server=127.0.0.1:2525',
      '127.0.0.1',
      '[127.0.0.1]:2525',
      'ftp://u@127.0.0.1:2525/in/f.bin',
      '127.0.0.1.log',
    ]);
  });

  it('takes quotes, backslashes and ${ as sh does where sh takes them', () => {
    const template = parseTemplate(`mailer 'a "b' "it's" "say \\"hi\\"" '\`id\`' \\\` '\${x' \\\${x {to}`, 'client');
    expect(fill(template, { to: 't' })).toEqual(['a "b', "it's", 'say "hi"', '`id`', '`', '${x', '${x', 't']);
  });

  it('reads {{ and }} as literal braces and keeps other braces as they are', () => {
    const template = parseTemplate(`awk '{{print}}' {{host}} '{"a":1}' x{y`, 'client');
    expect(fill(template, { host: 'h' })).toEqual(['{print}', '{host}', '{"a":1}', 'x{y']);
    expect(template.uses.size).toBe(0);
  });

  it.each([
    ['mailer {host} | tee log', 'the shell operator "|"'],
    ['mailer {host} > log', 'the shell operator ">"'],
    ['mailer {host}; echo', 'the shell operator ";"'],
    ['mailer *.eml', 'the glob "*.eml"'],
    ['mailer $HOME', '$HOME would need a shell'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${VAR}, on purpose
    ['mailer "${HOME}"', '$HOME would need a shell'],
    ['mailer $(id)', 'would need a shell'],
    ['mailer {host} # note', 'a comment ("#")'],
    ['mailer {hots}', 'unknown placeholder {hots}'],
    ['{host} x', 'the program (the first word) cannot be a placeholder'],
    ['   ', 'no program to run'],
    ['PATH=/x mailer', 'looks like a variable assignment'],
    // What sh itself refuses, or reads otherwise than a split (before: an internal error, or accepted as words).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${, on purpose
    ['curl ${x {from}', '"${x {from}" is a bad substitution (sh would refuse it)'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${, on purpose
    ['curl ${} {to}', '"${}" is a bad substitution'],
    ['curl {to} ${x', 'the ${ at character 11 is never closed (sh would refuse it)'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${, on purpose
    ['curl ${x:-a b} {to}', 'a ${...} substitution would need a shell'],
    ['curl "{from}', 'the " quote at character 6 is never closed (sh would refuse it)'],
    ["curl {to} 'a b", "the ' quote at character 11 is never closed"],
    [`curl "it's" 'say "hi {to}`, "the ' quote at character 13 is never closed"],
    ['curl `id` {to}', 'the command substitution `...` would need a shell'],
    ['curl "`id`" {to}', 'the command substitution `...` would need a shell'],
  ])('refuses %s with one line naming it', (command, says) => {
    const message = usageError(() => parseTemplate(command, 'command client "c"'));
    expect(message).toContain(says);
    expect(message).toMatch(/^command client "c": /);
    expect(message).not.toContain('\n');
  });
});

describe('command client specs', () => {
  it('reads cmd:NAME=TEMPLATE and infers the protocol from the placeholders', () => {
    expect(parseCommandClient('cmd:my-mailer=mailer --from {from} {host}')).toEqual({
      name: 'my-mailer',
      protocol: 'smtp',
      command: 'mailer --from {from} {host}',
    });
    expect(parseCommandClient('cmd:up=up {host} {file} {path}')).toEqual({
      name: 'up',
      protocol: 'ftp',
      command: 'up {host} {file} {path}',
      modes: ['passive'],
      directions: ['upload'],
    });
    expect(parseCommandClient('cmd:up=up {mode} {file}')).toMatchObject({ modes: ['passive', 'active'] });
    expect(parseCommandClient('cmd:both=ftpjob {direction} {file}')).toMatchObject({ directions: ['upload', 'download'] });
    expect(parseCommandClient('cmd:eq=x --opt=a=b {to}').command).toBe('x --opt=a=b {to}');
  });

  it.each([
    ['curl {host}', 'neither SMTP'],
    ['x {to} {file}', 'both SMTP'],
    ['x {host}', 'declare `protocol` for it in a config file'],
  ])('asks for a declared protocol when the placeholders do not tell it: %s', (command, says) => {
    expect(usageError(() => parseCommandClient(`cmd:c=${command}`))).toContain(says);
  });

  it.each([
    ['curl {host}', 'expected cmd:NAME=COMMAND TEMPLATE'],
    ['cmd:curl {host}', 'expected cmd:NAME=COMMAND TEMPLATE'],
    ['cmd:=x {to}', 'bad client name ""'],
    ['cmd:a b=x {to}', 'bad client name "a b"'],
    [`cmd:${'n'.repeat(41)}=x {to}`, 'bad client name'],
  ])('refuses %s', (text, says) => {
    expect(usageError(() => parseCommandClient(text))).toContain(says);
  });

  const smtp: CommandClientSpec = { name: 'm', protocol: 'smtp', command: 'mailer {host} {to}' };
  const ftp: CommandClientSpec = { name: 'f', protocol: 'ftp', command: 'up {host} {file}' };
  it.each<[CommandClientSpec, string]>([
    [{ ...smtp, command: 'mailer {path}' }, '{path} is no SMTP placeholder'],
    [{ ...ftp, command: 'up {from} {file}' }, '{from} is no FTP placeholder'],
    [
      { ...ftp, command: 'ftpjob {host} {direction}' },
      'with {direction} it downloads too, so its template needs {file}, the local file to download to (or declare `directions: [upload]`',
    ],
    [{ ...ftp, command: 'fetch {host} {path}', directions: ['download'] }, 'it downloads, so its template needs {file}'],
    [{ ...smtp, directions: ['upload'] }, 'directions are for FTP clients'],
    [{ ...ftp, directions: ['upload', 'download'] }, 'no {direction} to tell it which'],
    [{ ...ftp, directions: [] }, 'directions must list'],
    [{ ...ftp, directions: ['upload', 'upload'] }, 'directions must list'],
    [{ ...ftp, directions: ['get'] } as unknown as CommandClientSpec, 'bad direction "get"'],
    [{ ...ftp, directions: 'download' } as unknown as CommandClientSpec, 'directions must be a list'],
    [{ ...smtp, exitCodes: { '0': 'timeout' } }, 'bad exit code "0"'],
    [{ ...smtp, exitCodes: { '256': 'timeout' } }, 'bad exit code "256"'],
    [{ ...smtp, exitCodes: { x: 'timeout' } }, 'bad exit code "x"'],
    [{ ...smtp, exitCodes: { '28': 'slow' } } as unknown as CommandClientSpec, 'bad meaning "slow" for exit 28'],
    [{ ...smtp, modes: ['passive'] }, 'modes are for FTP clients'],
    [{ ...ftp, modes: ['passive', 'active'] }, 'no {mode} to tell it which'],
    [{ ...ftp, modes: [] }, 'modes must list'],
    [{ ...ftp, modes: ['epsv'] } as unknown as CommandClientSpec, 'bad mode "epsv"'],
    [{ ...smtp, protocol: 'imap' } as unknown as CommandClientSpec, 'bad protocol "imap"'],
    [{ ...ftp, modes: 'passive' } as unknown as CommandClientSpec, 'modes must be a list'],
    [{ ...smtp, exitCodes: ['timeout'] } as unknown as CommandClientSpec, 'exitCodes must map exit codes to meanings'],
    [{ ...smtp, command: 42 } as unknown as CommandClientSpec, 'its command must be a string'],
    [{ ...ftp, message: 'own' }, 'message is for SMTP clients'],
    [{ ...smtp, message: 'mine' } as unknown as CommandClientSpec, 'bad message "mine": expected given (it sends {message}) or own (it composes its own)'],
  ])('refuses a spec naming the bad part (%#)', (spec, says) => {
    expect(usageError(() => checkCommandClient(spec))).toContain(says);
  });

  it('makes an adapter that needs its program on PATH and reads every unmapped exit code as wire', () => {
    const client = commandClient({ ...smtp, exitCodes: { '28': 'timeout', '56': 'reset' } });
    expect(client.requires).toEqual({ command: 'mailer', install: 'mailer is not on PATH' });
    expect([client.exitCodes?.[28], client.exitCodes?.[56], client.exitCodes?.[1], client.exitCodes?.[255]]).toEqual(['timeout', 'reset', 'wire', 'wire']);
    const upload = commandClient(ftp) as FtpClientAdapter;
    expect([upload.modes, upload.directions, upload.resumes, upload.binds]).toEqual([['passive'], ['upload'], false, false]);
    expect((commandClient({ ...ftp, command: 'ftpjob {direction} {file}' }) as FtpClientAdapter).directions).toBeUndefined();
    // A download-only program (wget, aria2c) is declared so: its upload scenarios are n/a.
    expect((commandClient({ ...ftp, command: 'fetch {path} {file}', directions: ['download'] }) as FtpClientAdapter).directions).toEqual(['download']);
    expect((commandClient({ ...ftp, command: 'ftpjob {direction} {file}', directions: ['upload'] }) as FtpClientAdapter).directions).toEqual(['upload']);
    expect((commandClient({ ...ftp, command: 'ftpjob {direction} {file}', directions: ['download'] }) as FtpClientAdapter).directions).toEqual(['download']);
    // Narrowed to uploads, {direction} needs no {file}: the data is on stdin.
    expect((commandClient({ ...ftp, command: 'ftpjob {direction} {host}', directions: ['upload'] }) as FtpClientAdapter).directions).toEqual(['upload']);
  });

  it('makes a client that composes its own message (message: own) one whose messages are counted, not compared', () => {
    expect((commandClient({ ...smtp, message: 'own' }) as SmtpClientAdapter).composes).toBe(true);
    expect((commandClient({ ...smtp, message: 'given' }) as SmtpClientAdapter).composes).toBeUndefined();
    expect((commandClient(smtp) as SmtpClientAdapter).composes).toBeUndefined();
  });

  it('finds a program name with shell syntax not installed, without running it as shell code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wireprobe-cmd-test-'));
    try {
      expect(await installed(`true; touch ${join(dir, 'ran')}`)).toBe(false);
      expect(existsSync(join(dir, 'ran'))).toBe(false);
      expect(await installed('sh')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a program given by a path only when it is a regular file we may execute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wireprobe-cmd-test-'));
    try {
      writeFileSync(join(dir, 'plain'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      writeFileSync(join(dir, 'script'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      mkdirSync(join(dir, 'folder'));
      // dash's `command -v` says yes to each of these: spawn would fail them with EACCES.
      expect(await installed(join(dir, 'plain'))).toBe(false);
      expect(await installed(join(dir, 'folder'))).toBe(false);
      expect(await installed(join(dir, 'missing'))).toBe(false);
      expect(await installed(join(dir, 'script'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a file without execute permission', 'plain'],
    ['a folder', 'folder'],
  ])('makes a run with %s as its program n/a, as a missing one, not a deviation', async (_what, program) => {
    const dir = mkdtempSync(join(tmpdir(), 'wireprobe-cmd-test-'));
    try {
      writeFileSync(join(dir, 'plain'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      mkdirSync(join(dir, 'folder'));
      writeFileSync(join(dir, 's.yaml'), 'name: t\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n');
      const client = `cmd:x=./${program} {from} {to} {message}`;
      const { code, stderr } = await inProcess(['run', '--scenarios', 's.yaml', '--client', client, '--json', 'r.json'], dir);
      expect([code, stderr]).toEqual([0, '']);
      const { results } = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { results: JsonResult[] };
      expect(results.map((r) => [r.id, r.verdict, r.outcome, r.reason])).toEqual([
        ['t/clean/x', 'n/a', null, `${join(dir, program)} not found: ${join(dir, program)} is not there or not executable`],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('command client runs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wireprobe-cmd-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** A template whose sh script sees the arguments as "$@" and writes what it got under `dir`. */
  const script = (body: string, args: string): string => `sh -c '${body}' cmd ${args}`;
  const out = (name: string): string => readFileSync(join(dir, name), 'utf8');

  it('runs an SMTP command with its values as arguments, the password only in WIREPROBE_PASSWORD and the message on stdin', async () => {
    const body = `printf "%s\\n" "$@" > ${dir}/args; printf %s "$WIREPROBE_PASSWORD" > ${dir}/env; cat > ${dir}/stdin`;
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script(body, '{host} {port} {from} {to} {user} {connect-timeout} {timeout}') });
    const report = await (client as SmtpClientAdapter).run(smtpJob, never);
    expect(report).toEqual({ ok: true, detail: 'exit 0' });
    expect(out('args')).toBe('127.0.0.1\n2525\na b@x.test\nfirst@x.test\nme\n2\n10\n');
    expect(out('env')).toBe('s3cret pw');
    expect(out('stdin')).toBe(smtpJob.content.bytes().toString());
  });

  it('gives {message} as a 0600 file in a private 0700 directory, removed after the run, and closes stdin', async () => {
    const body = `printf %s "$1" > ${dir}/path; stat -c %a "$1" > ${dir}/mode; stat -c %a "$(dirname "$1")" > ${dir}/dirmode; cat "$1" > ${dir}/message; cat > ${dir}/stdin`;
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script(body, '{message}') }) as SmtpClientAdapter;
    expect((await client.run(smtpJob, never)).ok).toBe(true);
    expect([out('mode').trim(), out('dirmode').trim(), out('message'), out('stdin')]).toEqual(['600', '700', smtpJob.content.bytes().toString(), '']);
    expect(existsSync(dirname(out('path')))).toBe(false);
  });

  it('sets WIREPROBE_PASSWORD empty when the job has none, whatever wireprobe was started with', async () => {
    const client = commandClient({
      name: 'm',
      protocol: 'smtp',
      command: script(`printf "[%s]" "$WIREPROBE_PASSWORD" > ${dir}/env`, '{to}'),
    }) as SmtpClientAdapter;
    const { auth: _auth, ...noAuth } = smtpJob;
    process.env.WIREPROBE_PASSWORD = 'the-target-password';
    try {
      await client.run(noAuth, never);
    } finally {
      delete process.env.WIREPROBE_PASSWORD;
    }
    expect(out('env')).toBe('[]');
  });

  it('reports a failure with its exit code and last stderr line, the password masked', async () => {
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script('echo "login as me/$WIREPROBE_PASSWORD failed" >&2; exit 67', '{to}') });
    const report = await (client as SmtpClientAdapter).run(smtpJob, never);
    expect(report).toEqual({ ok: false, error: { exitCode: 67, message: 'login as me/*** failed' } });
  });

  it('reports a command killed by a signal the runner did not send as such, for classify to read from the wire', async () => {
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script('kill -SEGV $$', '{to}') });
    expect(await (client as SmtpClientAdapter).run(smtpJob, never)).toEqual({ ok: false, error: { meaning: 'wire', message: 'killed by SIGSEGV' } });
  });

  it('gives an upload as {file}, named after the remote file, and on stdin, with {path} {user} {mode} {direction}', async () => {
    const body = `printf "%s\\n" "$@" > ${dir}/args; cat "$1" > ${dir}/data; printf %s "$WIREPROBE_PASSWORD" > ${dir}/env`;
    const client = commandClient({
      name: 'f',
      protocol: 'ftp',
      command: script(body, '{file} {path} {user} {mode} {direction} {host}:{port}'),
      modes: ['active'],
    });
    expect(await (client as FtpClientAdapter).run(ftpJob, never)).toEqual({ ok: true, detail: 'exit 0' });
    const [file, ...rest] = out('args').trim().split('\n');
    expect(file).toMatch(/\/up load\.bin$/);
    expect(rest).toEqual(['/dir/up load.bin', 'u', 'active', 'upload', '127.0.0.1:2121']);
    expect([out('data'), out('env')]).toEqual(['file content', 'ftp-secret']);
    const fromStdin = commandClient({ name: 'f', protocol: 'ftp', command: script(`cat > ${dir}/stdin`, '{path}') }) as FtpClientAdapter;
    expect((await fromStdin.run(ftpJob, never)).ok).toBe(true);
    expect(out('stdin')).toBe('file content');
    expect(existsSync(file!)).toBe(false);
  });

  it('hashes the file a download wrote into `received`; a missing file is an empty one', async () => {
    const download: FtpJob = { ...ftpJob, direction: 'download', content: contentOf(Buffer.alloc(0)) };
    const writes = commandClient({ name: 'f', protocol: 'ftp', command: script('printf downloaded > "$1"', '{file} {direction}') }) as FtpClientAdapter;
    expect(await writes.run(download, never)).toEqual({ ok: true, detail: 'exit 0', received: digestOf(Buffer.from('downloaded')) });
    const writesNothing = commandClient({ name: 'f', protocol: 'ftp', command: script('true', '{file} {direction}') }) as FtpClientAdapter;
    expect(await writesNothing.run(download, never)).toMatchObject({ ok: true, received: digestOf(Buffer.alloc(0)) });
  });

  it('takes its exit as the end, output read so far kept, though a background child holds its stdout; the child is killed', async ({ signal }) => {
    // Without the fix the run waits for the pipes to close: the test's timeout, which aborts `signal`.
    const body = `echo out; echo "it failed" >&2; sleep 300 & echo $! > ${dir}/bg; exit 3`;
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script(body, '{to}') }) as SmtpClientAdapter;
    expect(await client.run(smtpJob, signal)).toEqual({ ok: false, error: { exitCode: 3, message: 'it failed' } });
    await expect.poll(() => running(Number(out('bg')))).toBe(false);
  }, 15_000);

  it('kills what it left out of its process group (setsid, a double fork) once it exits, and at its deadline', async () => {
    // Before the fix both outlived the run: the group kill does not reach a new session.
    const body = `setsid sleep 300 >/dev/null 2>&1 & echo $! > ${dir}/session; (setsid sh -c "sleep 301 >/dev/null 2>&1 & echo \\$! > ${dir}/orphan" &); while [ ! -s ${dir}/orphan ]; do sleep 0.05; done; exit 0`;
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script(body, '{to}') }) as SmtpClientAdapter;
    expect(await client.run(smtpJob, never)).toEqual({ ok: true, detail: 'exit 0' });
    await expect.poll(() => [running(Number(out('session'))), running(Number(out('orphan')))]).toEqual([false, false]);
    const stays = commandClient({
      name: 'm',
      protocol: 'smtp',
      command: script(`setsid sleep 300 >/dev/null 2>&1 & echo $! > ${dir}/late; exec sleep 60`, '{to}'),
    }) as SmtpClientAdapter;
    const abort = new AbortController();
    const run = stays.run(smtpJob, abort.signal);
    await expect.poll(() => existsSync(join(dir, 'late')) && out('late') !== '').toBe(true);
    abort.abort();
    expect(await run).toMatchObject({ ok: false, error: { message: 'killed by SIGKILL' } });
    await expect.poll(() => running(Number(out('late')))).toBe(false);
  });

  it('kills the command and removes its temp files when the run is aborted', async () => {
    const body = `printf %s "$1" > ${dir}/path; exec sleep 60`;
    const client = commandClient({ name: 'm', protocol: 'smtp', command: script(body, '{message}') }) as SmtpClientAdapter;
    const abort = new AbortController();
    const running = client.run(smtpJob, abort.signal);
    await expect.poll(() => existsSync(join(dir, 'path')) && readFileSync(join(dir, 'path'), 'utf8') !== '').toBe(true);
    const path = out('path');
    expect(statSync(path).isFile()).toBe(true);
    abort.abort();
    expect(await running).toMatchObject({ ok: false, error: { message: 'killed by SIGKILL' } });
    expect(existsSync(dirname(path))).toBe(false);
  });
});

describe('a command client through the proxy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wireprobe-cmd-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers when it exits 0, though a child it left in the background holds its stdout and stderr', async () => {
    // curl sends; the sleep it leaves behind keeps the pipes open. Before the fix: hung@connect at the deadline.
    const send = `#!/bin/sh\nsleep 300 &\necho $! > "${dir}/bg"\nexec curl --silent --show-error "smtp://$1:$2" --mail-from "$3" --mail-rcpt "$4" --upload-file "$5"\n`;
    writeFileSync(join(dir, 'send.sh'), send, { mode: 0o755 });
    writeFileSync(join(dir, 's.yaml'), 'name: t\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n    timeouts: { deadline: 10s }\n');
    const client = 'cmd:bg=./send.sh {host} {port} {from} {to} {message}';
    const { code, stderr } = await inProcess(['run', '--scenarios', 's.yaml', '--client', client, '--json', 'r.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const { results } = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { results: JsonResult[] };
    expect(results.map((r) => [r.id, r.outcome?.kind, r.outcome?.phase, r.verdict])).toEqual([['t/clean/bg', 'delivered', 'quit', 'conformant']]);
    await expect.poll(() => running(Number(readFileSync(join(dir, 'bg'), 'utf8')))).toBe(false);
  });

  it('is n/a in every FTPS scenario, as it cannot be told to use TLS, and is never run there', async () => {
    // Were it run, it would leave its mark: a plain client "delivered" in ftp/tls/clean read conformant.
    const client = `cmd:plain=sh -c 'touch "$1/ran"' sh ${dir} {path} {file}`;
    const { code, stderr } = await inProcess(['run', '--suite', 'ftp/tls', '--client', client, '--json', 'r.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const { results } = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { results: JsonResult[] };
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.verdict).toBe('n/a');
      // Its active-mode cells: it has no {mode}, so passive only.
      if (r.mode === 'passive') expect(r.reason).toMatch(/^plain cannot be told to use (AUTH TLS|implicit FTPS) \(RFC 4217\), which this scenario needs$/);
      else expect(r.reason).toBe('plain has no active mode');
    }
    expect(results.map((r) => r.reason)).toContain('plain cannot be told to use implicit FTPS (RFC 4217), which this scenario needs');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});
