/**
 * The command line: the only place that reads argv and process.env. It parses, validates, and hands
 * typed values to src/commands. Exit codes: 0 all conformant, 1 deviations (with
 * --fail-on-deviation), 2 bad input or wireprobe's own failure: one line, never a stack trace;
 * 130/143 interrupted by SIGINT/SIGTERM (src/util/interrupt.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { listSuites } from './commands/list.js';
import { probeCommand } from './commands/probe.js';
import { runCommand } from './commands/run.js';
import { selectClients, selectServers, selectSuites } from './commands/select.js';
import { serveCommand } from './commands/serve.js';
import { UPLOAD_MIB_ENV } from '../suites/ftp/uploads.js';
import { UsageError } from './commands/usage-error.js';
import { FaultSyntaxError, parseDuration, parseFault, parseSize } from './faults/parse.js';
import type { Fault } from './faults/types.js';
import { FTP_FINDINGS } from './probe/ftp-ids.js';
import { SMTP_FINDINGS } from './probe/smtp-ids.js';
import { parseTarget, TargetError } from './probe/target.js';
import { DEFAULT_PROBE_LIMITS } from './probe/types.js';
import { aborted, EXIT_CODES, interruptedBy, interruptLine, watchInterrupts } from './util/interrupt.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `  smtp.greeting   RFC 5321 §3.1...`: the finding ids for the help text, from each protocol's list. */
const FINDING_IDS = [...SMTP_FINDINGS, ...FTP_FINDINGS]
  .map((f) => `  ${f.id.padEnd(26)}${f.checks}`)
  .join('\n');

const HELP = `wireprobe ${VERSION}: how SMTP and FTP clients behave when the network or the server misbehaves

Usage:
  wireprobe run [--suite NAME,...] [--client NAME,...|all] [--server NAME,...|all] [--json FILE]
                [--junit FILE] [--html FILE] [--transcripts DIR] [--concurrency N]
                [--fail-on-deviation] [--no-color]
  wireprobe matrix smtp|ftp [--clients NAME,...] [--servers NAME,...] [--suite NAME,...]
                [--json FILE] [--junit FILE] [--html FILE] [--transcripts DIR] [--concurrency N]
  wireprobe list [--suite NAME,...]
  wireprobe serve smtp [--fault SPEC]... [--nth N] [--port P] [--host ADDR]
                [--size-limit SIZE] [--max-clients N] [--auth none|optional|required]
                [--tls off|starttls]
  wireprobe serve ftp [--fault SPEC]... [--nth N] [--port P] [--host ADDR] [--max-clients N]
                [--max-per-address N] [--user NAME:PASSWORD]... [--anonymous off|read|write]
                [--active on|off] [--idle-timeout DURATION]
  wireprobe probe smtp://[user:password@]host[:port] | ftp://[user[:password]@]host[:port]
                [--json FILE] [--junit FILE] [--fail-on fail|warn] [--max-sessions N]
                [--max-idle SECONDS] [--send] [--timeout MS] [--no-color]
  wireprobe --help | --version

Examples:
  wireprobe run                                   every built-in suite, in-process clients
  wireprobe run --suite smtp/resets --json out.json --junit out.xml
  wireprobe matrix ftp --clients basic-ftp,curl --servers mock-ftp,vsftpd --html report.html
  wireprobe list
  wireprobe serve smtp --fault 'reset after DATA +64KiB'
  wireprobe serve smtp --fault 'stall before reply to dot' --nth 2 --port 2525
  wireprobe serve ftp --fault 'reset after STOR +1MiB channel data'
  wireprobe probe smtp://mail.example.test:587 --json out.json --junit out.xml --fail-on fail
  wireprobe probe ftp://user:pass@ftp.example.test:21 --max-sessions 50 --max-idle 120

Faults (--fault, repeatable):  KIND [ARGS] [AT] [OPTIONS]
  reset                         RST: the client sees "connection reset" (10054)
  close [discard|abort]         FIN; abort: stop reading, so further writes get RST (10053)
  stall                         stop relaying and reading: writes block, reads wait
  delay 2s                      hold both directions, then go on
  throttle 2MiB/s               slow link          slice 1 [gap 5ms]   fragment writes
  coalesce 50ms                 merge writes       limit 2 [reply|close|reset|queue] session limit
  reply 552 ["text"] [then continue|close|reset]   answer in the server's place
  refuse 3s [refuse|reset] [drop close|reset]      a restart: drop sessions, refuse the port
  dataport wrong-address|refused|blackholed        FTP: data address points to 127.0.0.2 / a closed
                                                   port / a port that drops SYNs
AT:
  on connect                    as soon as the client connects
  after greeting | after EHLO   once the server's reply to it reached the client
  after DATA +64KiB             once 64 KiB of the message body reached the server
  before reply to RCPT | dot    the command (or final dot) reached the server, its reply is held
  before QUIT                   the command is held, never reaches the server
  after STOR +1MiB channel data FTP: once 1 MiB of the upload went over the data connection
OPTIONS: toward client|server, connection N (only the Nth connection),
         channel control|data (FTP: the connection it acts on; default control)

Probe (checks a live server; safe by default: no mail delivered without --send, sessions opened one
at a time up to --max-sessions (default ${DEFAULT_PROBE_LIMITS.maxSessions}), no idle wait without --max-idle, every wait
bounded by --timeout (default ${DEFAULT_PROBE_LIMITS.replyTimeoutMs} ms)). Finding ids, each pass, warn, fail or skip:
${FINDING_IDS}

Exit codes: 0 conformant, 1 deviations found (with --fail-on-deviation; probe: a finding at or above
--fail-on), 2 bad input, an unreachable probe target, or own error, 130 interrupted (Ctrl-C), 143
stopped by SIGTERM (what finished is reported, marked incomplete; a second signal exits at once).
`;

const OPTIONS = {
  suite: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  clients: { type: 'string', multiple: true },
  server: { type: 'string', multiple: true },
  servers: { type: 'string', multiple: true },
  html: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  transcripts: { type: 'string' },
  concurrency: { type: 'string' },
  'fail-on-deviation': { type: 'boolean' },
  'no-color': { type: 'boolean' },
  fault: { type: 'string', multiple: true },
  nth: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'size-limit': { type: 'string' },
  'max-clients': { type: 'string' },
  'max-per-address': { type: 'string' },
  user: { type: 'string', multiple: true },
  anonymous: { type: 'string' },
  active: { type: 'string' },
  'idle-timeout': { type: 'string' },
  auth: { type: 'string' },
  tls: { type: 'string' },
  'fail-on': { type: 'string' },
  'max-sessions': { type: 'string' },
  'max-idle': { type: 'string' },
  send: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** Splits repeated and comma-separated values: `--suite a,b --suite c`. */
function names(values: readonly string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`bad --${flag} "${text}": expected a whole number from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`bad --${flag} "${text}": expected ${allowed.join(', ')}`);
  return text as T;
}

function onlyFor(command: string, values: Values, allowed: readonly (keyof Values)[]): void {
  for (const key of Object.keys(values) as (keyof Values)[]) {
    if (!allowed.includes(key)) throw new UsageError(`option --${String(key)} does not apply to "${command}"`);
  }
}

const SERVE_COMMON = ['fault', 'nth', 'port', 'host', 'max-clients'] as const;

/** `--user name:password`, repeatable: the mock FTP server's accounts. */
function users(values: readonly string[] | undefined): Record<string, string> {
  const accounts: Record<string, string> = {};
  for (const value of values ?? []) {
    const colon = value.indexOf(':');
    // Never echo the value: it holds a password.
    if (colon < 1) throw new UsageError('bad --user: expected NAME:PASSWORD');
    accounts[value.slice(0, colon)] = value.slice(colon + 1);
  }
  return accounts;
}

function durationFlag(flag: string, text: string | undefined): number {
  if (text === undefined) return 0;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`bad --${flag} "${text}": expected a duration like 30s or 500ms`);
  }
}

async function serve(values: Values, positionals: readonly string[], signal: AbortSignal): Promise<number> {
  const protocol = positionals[1];
  if (protocol !== 'smtp' && protocol !== 'ftp') {
    throw new UsageError(`serve needs a protocol: "wireprobe serve smtp" or "wireprobe serve ftp" (got ${protocol === undefined ? 'none' : `"${protocol}"`})`);
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  if (protocol === 'smtp') onlyFor('serve smtp', values, [...SERVE_COMMON, 'size-limit', 'auth', 'tls']);
  else onlyFor('serve ftp', values, [...SERVE_COMMON, 'max-per-address', 'user', 'anonymous', 'active', 'idle-timeout']);
  const nth = values.nth === undefined ? undefined : integer('nth', values.nth, 1, 1, 1_000_000);
  const faults: Fault[] = (values.fault ?? []).map((text) => ({ ...parseFault(text), ...(nth ? { connection: nth } : {}) }));
  const common = { faults, host: values.host ?? '127.0.0.1', port: integer('port', values.port, 0, 0, 65535), out: process.stdout };
  const maxClients = integer('max-clients', values['max-clients'], 0, 0, 100_000);
  const serving = protocol === 'smtp'
    ? await serveCommand({
      ...common,
      protocol,
      server: {
        sizeLimit: values['size-limit'] === undefined ? 0 : parseSizeFlag(values['size-limit']),
        maxClients,
        auth: oneOf('auth', values.auth, ['none', 'optional', 'required'] as const, 'none'),
        tls: oneOf('tls', values.tls, ['off', 'starttls'] as const, 'off'),
      },
    })
    : await serveCommand({
      ...common,
      protocol,
      server: {
        users: users(values.user),
        anonymous: oneOf('anonymous', values.anonymous, ['off', 'read', 'write'] as const, 'write'),
        active: oneOf('active', values.active, ['on', 'off'] as const, 'on'),
        maxSessions: maxClients,
        maxPerAddress: integer('max-per-address', values['max-per-address'], 0, 0, 100_000),
        idleTimeoutMs: durationFlag('idle-timeout', values['idle-timeout']),
      },
    });
  await aborted(signal);
  await serving.close();
  const by = interruptedBy(signal) ?? 'SIGINT';
  process.stderr.write(interruptLine(by, `${protocol.toUpperCase()} server on ${serving.url} stopped`));
  return EXIT_CODES[by];
}

/** `wireprobe matrix smtp|ftp`: every suite of the protocol, clients x servers x faults. */
function matrix(values: Values, positionals: readonly string[], signal: AbortSignal): Promise<number> {
  const protocol = positionals[1];
  if (protocol !== 'smtp' && protocol !== 'ftp') {
    throw new UsageError(`matrix needs a protocol: "wireprobe matrix smtp" or "wireprobe matrix ftp" (got ${protocol === undefined ? 'none' : `"${protocol}"`})`);
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  onlyFor(`matrix ${protocol}`, values, ['suite', 'clients', 'servers', 'json', 'junit', 'html', 'transcripts', 'concurrency', 'fail-on-deviation', 'no-color']);
  const suites = selectSuites(names(values.suite) ?? [protocol]);
  const foreign = suites.find((s) => s.protocol !== protocol);
  if (foreign) throw new UsageError(`suite "${foreign.name}" is not one of the ${protocol} suites`);
  const clients = selectClients(names(values.clients) ?? ['all']).filter((c) => c.protocol === protocol);
  if (clients.length === 0) throw new UsageError(`no ${protocol} client among --clients "${names(values.clients)?.join(',')}"`);
  return runCommand({ suites, clients, servers: selectServers(names(values.servers) ?? ['all'], protocol), ...reporting(values, signal) });
}

/** What `run` and `matrix` share: concurrency, the reports asked for, exit policy, and the console's looks. */
function reporting(values: Values, signal: AbortSignal) {
  const tty = process.stdout.isTTY === true;
  return {
    signal,
    err: process.stderr,
    concurrency: integer('concurrency', values.concurrency, 4, 1, 64),
    json: values.json,
    junit: values.junit,
    html: values.html,
    transcripts: values.transcripts,
    failOnDeviation: values['fail-on-deviation'] === true,
    version: VERSION,
    out: process.stdout,
    color: tty && !values['no-color'] && process.env.NO_COLOR === undefined,
    live: tty,
  };
}

function parseSizeFlag(text: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UsageError(`bad --size-limit "${text}": expected a size like 10MiB or 1000000`);
  }
}

/** `wireprobe probe URL`: the target, the limits (merged over DEFAULT_PROBE_LIMITS), the reports. */
function probe(values: Values, positionals: readonly string[], signal: AbortSignal): Promise<number> {
  const url = positionals[1];
  if (url === undefined) throw new UsageError('probe needs a target: "wireprobe probe smtp://host[:port]" or "wireprobe probe ftp://[user[:password]@]host[:port]"');
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  onlyFor('probe', values, ['json', 'junit', 'fail-on', 'max-sessions', 'max-idle', 'send', 'timeout', 'no-color']);
  const failOn = values['fail-on'] === undefined ? undefined : oneOf('fail-on', values['fail-on'], ['fail', 'warn'] as const, 'fail');
  const limits = {
    maxSessions: integer('max-sessions', values['max-sessions'], DEFAULT_PROBE_LIMITS.maxSessions, 1, 1000),
    maxIdleSeconds: integer('max-idle', values['max-idle'], DEFAULT_PROBE_LIMITS.maxIdleSeconds, 0, 3600),
    replyTimeoutMs: integer('timeout', values.timeout, DEFAULT_PROBE_LIMITS.replyTimeoutMs, 100, 600_000),
    send: values.send === true,
  };
  const target = parseTarget(url);
  const tty = process.stdout.isTTY === true;
  return probeCommand({
    target,
    limits,
    json: values.json,
    junit: values.junit,
    failOn,
    signal,
    out: process.stdout,
    err: process.stderr,
    color: tty && !values['no-color'] && process.env.NO_COLOR === undefined,
  });
}

async function main(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const uploadMib = process.env[UPLOAD_MIB_ENV];
  if (uploadMib !== undefined && !(/^\d+$/.test(uploadMib) && Number(uploadMib) >= 1 && Number(uploadMib) <= 1024)) {
    throw new UsageError(`bad ${UPLOAD_MIB_ENV} "${uploadMib}": expected a whole number of MiB from 1 to 1024`);
  }
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.version) return void process.stdout.write(`${VERSION}\n`), 0;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return void process.stdout.write(HELP), 0;
  if (command === 'serve') return serve(values, positionals, signal);
  if (command === 'matrix') return matrix(values, positionals, signal);
  if (command === 'probe') return probe(values, positionals, signal);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (command === 'list') {
    onlyFor('list', values, ['suite']);
    listSuites(selectSuites(names(values.suite)), process.stdout);
    return 0;
  }
  if (command === 'run') {
    onlyFor('run', values, ['suite', 'client', 'server', 'json', 'junit', 'html', 'transcripts', 'concurrency', 'fail-on-deviation', 'no-color']);
    return runCommand({
      suites: selectSuites(names(values.suite)),
      clients: selectClients(names(values.client)),
      servers: selectServers(names(values.server)),
      ...reporting(values, signal),
    });
  }
  throw new UsageError(`unknown command "${command}" (commands: run, matrix, list, serve, probe; see wireprobe --help)`);
}

/** One line for the user; a stack only for our own bugs, and only with WIREPROBE_DEBUG set. */
function explain(error: unknown): string {
  const e = error as Error & { code?: string };
  if (error instanceof UsageError || error instanceof FaultSyntaxError || error instanceof TargetError) return e.message;
  if (e.code?.startsWith('ERR_PARSE_ARGS')) return e.message.split('\n')[0]!;
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') return `cannot listen: ${e.message}`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `cannot listen: unknown host (${e.message})`;
  return `internal error: ${e.message}${process.env.WIREPROBE_DEBUG ? `\n${e.stack}` : ' (set WIREPROBE_DEBUG=1 for details)'}`;
}

// The first Ctrl-C or SIGTERM aborts `signal`: the command stops what it started and reports (exit 130
// or 143); a second one exits at once. Clients and servers run in their own process groups, so the
// terminal's Ctrl-C reaches only wireprobe, which stops them.
const interrupts = watchInterrupts((code) => process.exit(code));
main(process.argv.slice(2), interrupts.signal)
  .then(
    (code) => {
      process.exitCode = code;
      // Interrupted: the command has stopped and removed what it started, and reported; what it
      // abandoned (a probe's idle wait on the user's server) must not keep wireprobe waiting.
      if (interrupts.signal.aborted) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`wireprobe: ${explain(error)}\n`);
      process.exitCode = 2;
    },
  )
  .finally(() => interrupts.dispose());
