/**
 * The command line: the only place that reads argv and process.env. It parses, validates, and hands
 * typed values to src/commands. Exit codes: 0 all conformant, 1 deviations (with
 * --fail-on-deviation), 2 bad input or wireprobe's own failure: one line, never a stack trace; 3 a
 * client module's uncaught exception or unhandled rejection stopped the command (src/clients/module-guard.ts);
 * 130/143 interrupted by SIGINT/SIGTERM (src/util/interrupt.ts).
 */
import { Console } from 'node:console';
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { controlAddress, durationFlag, integer, listenHost, names, oneOf, passwordFrom, rcpt, refuseNeverFiring, sizeFlag, users } from './commands/args.js';
import { explainError } from './commands/explain.js';
import { HELP, VERSION } from './commands/help.js';
import { SERVE_KEEP } from './commands/serve.js';
import { type CliIo, OPTIONS, onlyFor, type Values } from './commands/options.js';
import { matrixArgs, runArgs } from './commands/run-args.js';
import { UsageError } from './util/usage-error.js';
import type { FtpServerOptions } from '../servers/ftp.js';

export type { CliIo } from './commands/options.js';
import { parseFault } from './faults/parse.js';
import type { Fault } from './faults/types.js';
import { parseTarget } from './probe/target.js';
import { DEFAULT_PROBE_LIMITS, DEFAULT_UPLOAD_OCTETS } from './probe/types.js';
import { capped, quote } from './util/terminal.js';
import { aborted, CRASH_EXIT_CODE, EXIT_CODES, interruptedBy, interruptLine, stoppedBy, watchInterrupts } from './util/interrupt.js';
import { guardModules } from './clients/module-guard.js';
import { watchLauncher } from './util/launcher.js';
import { killMarked, MARK_VARIABLE, newMark, withMark } from './util/marked-processes.js';

const SERVE_COMMON = ['fault', 'nth', 'port', 'host', 'max-clients', 'user', 'password-env', 'password-file', 'keep', 'control', 'pcap'] as const;

async function serve(values: Values, positionals: readonly string[], io: CliIo): Promise<number> {
  const protocol = positionals[1];
  if (protocol !== 'smtp' && protocol !== 'ftp') {
    throw new UsageError(`serve needs a protocol: "wireprobe serve smtp" or "wireprobe serve ftp" (got ${protocol === undefined ? 'none' : quote(protocol)})`);
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${quote(positionals[2]!)}`);
  if (protocol === 'smtp') onlyFor('serve smtp', values, [...SERVE_COMMON, 'size-limit', 'auth', 'tls', 'keylog']);
  else
    onlyFor('serve ftp', values, [
      ...SERVE_COMMON,
      'max-per-address',
      'anonymous',
      'active',
      'idle-timeout',
      'tls',
      'require-tls-reuse',
      'prot-p',
      'require-tls',
    ]);
  const nth = values.nth === undefined ? undefined : integer('nth', values.nth, 1, 1, 1_000_000);
  const faults: Fault[] = (values.fault ?? []).map((text) => ({ ...parseFault(text), ...(nth ? { connection: nth } : {}) }));
  refuseNeverFiring(faults, values.fault ?? [], protocol, `serve ${protocol}`);
  const { host, warning } = listenHost(values.host);
  const keep = integer('keep', values.keep, SERVE_KEEP, 0, 1_000_000);
  const control = values.control === undefined ? undefined : controlAddress(values.control);
  const common = { faults, host, port: integer('port', values.port, 0, 0, 65535), out: io.stdout, keep, ...(io.signal ? { signal: io.signal } : {}), control };
  const maxClients = integer('max-clients', values['max-clients'], 0, 0, 100_000);
  const accounts = users(values.user, passwordFrom({ env: values['password-env'], file: values['password-file'] }, io.env));
  const smtp =
    protocol === 'smtp'
      ? {
          sizeLimit: values['size-limit'] === undefined ? 0 : sizeFlag('size-limit', values['size-limit']),
          maxClients,
          auth: oneOf('auth', values.auth, ['none', 'optional', 'required'] as const, 'none'),
          users: accounts,
          tls: oneOf('tls', values.tls, ['off', 'starttls', 'implicit'] as const, 'off'),
        }
      : undefined;
  if (smtp && values.keylog !== undefined && (smtp.tls ?? 'off') === 'off')
    throw new UsageError('--keylog needs --tls starttls or --tls implicit on "serve smtp": only TLS the proxy terminates has keys to log');
  if (smtp && smtp.auth === 'none' && Object.keys(accounts).length > 0) throw new UsageError('--user needs --auth optional or --auth required on "serve smtp"');
  const ftp =
    protocol === 'ftp'
      ? {
          users: accounts,
          anonymous: oneOf('anonymous', values.anonymous, ['off', 'read', 'write'] as const, 'write'),
          active: oneOf('active', values.active, ['on', 'off'] as const, 'on'),
          maxSessions: maxClients,
          maxPerAddress: integer('max-per-address', values['max-per-address'], 0, 0, 100_000),
          idleTimeoutMs: durationFlag('idle-timeout', values['idle-timeout']),
          ...ftpsFlags(values),
        }
      : undefined;
  for (const line of [warning, control?.warning]) if (line) io.stderr.write(`wireprobe: ${line}\n`);
  const { serveCommand } = await import('./commands/serve.js');
  const serving = smtp
    ? await serveCommand({ ...common, pcap: values.pcap, keylog: values.keylog, protocol: 'smtp', server: smtp })
    : await serveCommand({ ...common, pcap: values.pcap, protocol: 'ftp', server: ftp! });
  // Runs until Ctrl-C or SIGTERM; in process (tests) with no signal, until the process ends.
  await aborted(io.signal ?? new AbortController().signal);
  await serving.close();
  const by = interruptedBy(io.signal) ?? 'SIGINT';
  io.stderr.write(interruptLine(by, `${protocol.toUpperCase()} server on ${serving.url} stopped`));
  return EXIT_CODES[by];
}

/** `serve ftp`'s FTPS flags as the mock's options; a knob without `--tls explicit|implicit` is refused. */
function ftpsFlags(values: Values): Pick<FtpServerOptions, 'tls' | 'requireTlsReuse' | 'protP' | 'requireTls'> {
  const tls = oneOf('tls', values.tls, ['off', 'explicit', 'implicit'] as const, 'off');
  const knobs = {
    ...(values['require-tls-reuse'] ? { requireTlsReuse: true } : {}),
    ...(values['require-tls'] ? { requireTls: true } : {}),
    ...(values['prot-p'] === undefined ? {} : { protP: oneOf('prot-p', values['prot-p'], ['accept', 'refuse'] as const, 'accept') }),
  };
  const given = (['require-tls-reuse', 'require-tls', 'prot-p'] as const).find((flag) => values[flag] !== undefined);
  if (given && tls === 'off') throw new UsageError(`--${given} needs --tls explicit or --tls implicit on "serve ftp"`);
  return { tls, ...knobs };
}

/** Bounds of `--upload-size`: one KiB (the resume check needs octets to skip) to 64 GiB. */
const UPLOAD_SIZE_BOUNDS = [1024, 64 * 1024 ** 3] as const;

/** `--upload-size 8MiB`: the FTP integrity upload's size, parsed like the fault sizes. */
function uploadSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_UPLOAD_OCTETS;
  const octets = sizeFlag('upload-size', text);
  if (octets < UPLOAD_SIZE_BOUNDS[0] || octets > UPLOAD_SIZE_BOUNDS[1])
    throw new UsageError(`bad --upload-size ${quote(text)}: expected a size from 1KiB to 64GiB`);
  return octets;
}

/** `--quota-probe 1GiB`: the most the FTP quota check may upload (same bounds as --upload-size); absent: skipped. */
function quotaSize(text: string | undefined): number {
  if (text === undefined) return 0;
  const octets = sizeFlag('quota-probe', text);
  if (octets < UPLOAD_SIZE_BOUNDS[0] || octets > UPLOAD_SIZE_BOUNDS[1])
    throw new UsageError(`bad --quota-probe ${quote(text)}: expected a size from 1KiB to 64GiB`);
  return octets;
}

/** `wireprobe probe URL`: the target, the limits (merged over DEFAULT_PROBE_LIMITS), the reports. */
async function probe(values: Values, positionals: readonly string[], io: CliIo): Promise<number> {
  const url = positionals[1];
  if (url === undefined)
    throw new UsageError('probe needs a target: "wireprobe probe smtp[s]://host[:port]" or "wireprobe probe ftp[s]://[user[:password]@]host[:port]"');
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${quote(positionals[2]!)}`);
  onlyFor('probe', values, [
    'json',
    'junit',
    'fail-on',
    'max-sessions',
    'max-idle',
    'upload-size',
    'max-data-idle',
    'quota-probe',
    'send',
    'rcpt',
    'starttls',
    'timeout',
    'no-color',
    'password-env',
    'password-file',
  ]);
  const failOn = values['fail-on'] === undefined ? undefined : oneOf('fail-on', values['fail-on'], ['fail', 'warn'] as const, 'fail');
  const limits = {
    maxSessions: integer('max-sessions', values['max-sessions'], DEFAULT_PROBE_LIMITS.maxSessions, 1, 1000),
    maxIdleSeconds: integer('max-idle', values['max-idle'], DEFAULT_PROBE_LIMITS.maxIdleSeconds, 0, 3600),
    replyTimeoutMs: integer('timeout', values.timeout, DEFAULT_PROBE_LIMITS.replyTimeoutMs, 100, 600_000),
    send: values.send === true,
    starttls: oneOf('starttls', values.starttls, ['auto', 'off', 'require'] as const, DEFAULT_PROBE_LIMITS.starttls),
    rcpt: rcpt(values.rcpt),
    uploadOctets: uploadSize(values['upload-size']),
    maxDataIdleSeconds: integer('max-data-idle', values['max-data-idle'], DEFAULT_PROBE_LIMITS.maxDataIdleSeconds ?? 0, 0, 3600),
    quotaOctets: quotaSize(values['quota-probe']),
  };
  const target = parseTarget(url, passwordFrom({ env: values['password-env'], file: values['password-file'] }, io.env));
  const tty = io.stdout.isTTY === true;
  const { probeCommand } = await import('./commands/probe.js');
  return probeCommand({
    target,
    limits,
    json: values.json,
    junit: values.junit,
    failOn,
    ...(io.signal ? { signal: io.signal } : {}),
    out: io.stdout,
    err: io.stderr,
    color: tty && !values['no-color'] && io.env.NO_COLOR === undefined,
  });
}

/**
 * Negative numbers as option values: node:util's parseArgs refuses `--port -1` as "ambiguous" without
 * naming the value, so `--flag -N` is passed on as `--flag=-N` and the flag's own check names it.
 */
function joinNegatives(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const option = arg.startsWith('--') ? (OPTIONS as Record<string, { type: string }>)[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: joinNegatives(argv), options: OPTIONS, allowPositionals: true, strict: true });
  if (values.version) return (void io.stdout.write(`${VERSION}\n`), 0);
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return (void io.stdout.write(HELP), 0);
  if (command === 'serve') return serve(values, positionals, io);
  if (command === 'matrix') return matrixArgs(values, positionals, io);
  if (command === 'probe') return probe(values, positionals, io);
  if (command === 'merge') return (await import('./commands/merge.js')).mergeArgs(values, positionals, io);
  if (command === 'diff') return (await import('./commands/diff.js')).diffArgs(values, positionals, io);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${quote(positionals[1]!)}`);
  // Each command loads what it needs only: `serve ftp` never loads the clients, the suites or smtp-server.
  if (command === 'run') return runArgs(values, io);
  if (command === 'list') {
    onlyFor('list', values, ['suite', 'scenarios', 'config']);
    const { selectSuites, suiteOptions } = await import('./commands/select.js');
    const { listSuites } = await import('./commands/list.js');
    const { configured } = await import('./config/flags.js');
    const { values: merged, suites: user, clients, config } = await configured(values, io);
    const cwd = io.cwd ?? process.cwd();
    const shown = (path: string): string => relative(cwd, path) || path;
    const own = config && clients ? { file: shown(config.file), clients, shown } : undefined;
    listSuites(selectSuites(names('suite', merged.suite), suiteOptions(io.env), user), io.stdout, own);
    return 0;
  }
  throw new UsageError(`unknown command ${quote(command)} (commands: run, matrix, merge, diff, list, serve, probe; see wireprobe --help)`);
}

/**
 * The command line: parses `argv` (without node and the script), runs the command writing to `io`, and
 * resolves with the exit code (0, 1, or 2 with one line on stderr). Never rejects: tests call it in process.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    // Stopped before the command got going (Ctrl-C while a client module loads): its one line and code.
    const stopped = stoppedBy(io.signal);
    if (stopped && error === io.signal?.reason) {
      io.stderr.write(stopped.line('nothing run'));
      return stopped.exitCode;
    }
    const text = explainError(error, Boolean(io.env.WIREPROBE_DEBUG));
    // One line, escaped and cut, whatever the error quoted (a value, a peer's text); a debug stack stays whole.
    const [first = '', ...stack] = text.split('\n');
    io.stderr.write(`wireprobe: ${capped([first], { maxLineChars: 1000 })[0]}\n${stack.length ? `${stack.join('\n')}\n` : ''}`);
    return 2;
  }
}

/** Resolves once what was written to `stream` before has been handed to the OS (a pipe or file that is slow to take it). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * bin/wireprobe.js's entry: `main` on the process's own argv, streams and environment. A closed stdout
 * (`wireprobe list | head -1`) ends the process quietly instead of with an EPIPE stack trace. Once the
 * command is over and its output flushed, the process exits with its code: what a client module left
 * open (a timer, a pooled connection) does not keep it alive.
 */
export async function cli(): Promise<void> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  // The first Ctrl-C or SIGTERM aborts the signal: the command stops what it started and reports (exit
  // 130 or 143); a second one exits at once. Clients and servers run in their own process groups, so
  // the terminal's Ctrl-C reaches only wireprobe, which stops them. Started by npm (npx, a script),
  // the end of the shell npm started wireprobe through counts as a SIGTERM (./util/launcher.ts).
  const interrupts = watchInterrupts((code) => process.exit(code));
  const unwatchLauncher = watchLauncher(process.env, () => interrupts.interrupt('SIGTERM'));
  // A client module's error that nothing caught, outside the run it belongs to, stops the command as
  // Ctrl-C does (exit 3) instead of ending wireprobe with a stack trace and its clients left running.
  const unguard = guardModules((crash) => interrupts.halt(crash));
  // stdout carries wireprobe's report alone: what a client module (or a library it uses) logs with
  // console goes to stderr, beside wireprobe's own notes, not into the table a user pipes or saves.
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  // Every process the command starts, and theirs, carries this mark: what is still running when the
  // command is over (a client module's child it never ended, one that left its process group) is
  // found by it and killed (./util/marked-processes.ts).
  const mark = newMark();
  process.env[MARK_VARIABLE] = withMark(process.env[MARK_VARIABLE], mark);
  let code: number;
  try {
    code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupts.signal });
  } finally {
    unwatchLauncher();
    interrupts.dispose();
  }
  const left = await killMarked(mark);
  if (left > 0)
    process.stderr.write(
      `wireprobe: ${left} process${left === 1 ? '' : 'es'} started during the command still ran at its end (a client module's child?): killed\n`,
    );
  // The command has stopped and removed what it started, and reported; what it abandoned (a probe's
  // idle wait on the user's server, a module's open socket or timer) must not keep wireprobe waiting.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // A client module's crash once the command was over (its reports complete): said, and exit 3 all the same.
  if (stoppedBy(interrupts.signal)?.exitCode === CRASH_EXIT_CODE && code !== CRASH_EXIT_CODE) {
    process.stderr.write(`wireprobe: ${(interrupts.signal.reason as Error).message} (after the run was over: its results and reports are complete)\n`);
    await flushed(process.stderr);
    code = CRASH_EXIT_CODE;
  }
  unguard();
  process.exit(code);
}
