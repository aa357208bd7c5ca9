/**
 * The user's own command-line client (`--client 'cmd:NAME=TEMPLATE'`, or a config file's object): a
 * template run as a process, without a shell, in its own process group. Its outcome comes from its
 * exit code (0: success; else the user's exit-code map, unmapped: `wire`) and the wire evidence the
 * proxy recorded, never from its output (src/engine/classify.ts).
 *
 *   spec ─► checkCommandClient ─► parseTemplate ─► run: temp dir (0700) ─► {message}/{file} (0600), else stdin ─► fill ─► runProcess
 *        password: env WIREPROBE_PASSWORD only ──────────────────────────────────────────────────────────────┘   └─► exit code (+ download's digest)
 */
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../util/usage-error.js';
import { digestFile } from '../util/digest.js';
import { quote } from '../util/terminal.js';
import { exitReport, inTempDir, runProcess, type ProcessRun } from './process.js';
import { fill, parseTemplate, type Placeholder, type Template } from './template.js';
import type { ClientReport, ExitCodes, FtpClientAdapter, FtpJob, FtpMode, SmtpClientAdapter, SmtpJob, Timeouts } from './types.js';

/** What a user says about their command client. */
export interface CommandClientSpec {
  /** Its name in ids and reports: [A-Za-z0-9._-]{1,40}. */
  readonly name: string;
  readonly protocol: 'smtp' | 'ftp';
  /** The command template (see template.ts). */
  readonly command: string;
  /** Exit codes (1-255, as strings) and what each says; unmapped: `wire`. */
  readonly exitCodes?: Readonly<Record<string, CommandExit>>;
  /** FTP: the modes it has; default both if the template uses {mode}, else passive only. */
  readonly modes?: readonly FtpMode[];
  /** FTP: the directions it transfers in; default both if the template uses {direction}, else upload only. */
  readonly directions?: readonly FtpDirection[];
  /**
   * SMTP: `own` for a program that composes its own message (mailx, an application's templates) instead
   * of sending `{message}`: what arrived is counted, not compared (SmtpClientAdapter.composes); default `given`.
   */
  readonly message?: 'given' | 'own';
}

/** An FTP transfer's direction, as a job names it. */
type FtpDirection = FtpJob['direction'];

/** What an exit code of a command client says (`wire`: the proxy's evidence decides). */
export type CommandExit = 'timeout' | 'reset' | 'closed' | 'refused' | 'reply' | 'wire';

const COMMAND_EXITS: readonly CommandExit[] = ['timeout', 'reset', 'closed', 'refused', 'reply', 'wire'];
const NAME = /^[A-Za-z0-9._-]{1,40}$/;
const COMMON: readonly Placeholder[] = ['host', 'port', 'user', 'connect-timeout', 'timeout'];
/** The placeholders only one protocol has: they tell which protocol a template speaks. */
const ONLY: Readonly<Record<CommandClientSpec['protocol'], readonly Placeholder[]>> = {
  smtp: ['from', 'to', 'message'],
  ftp: ['path', 'file', 'mode', 'direction'],
};
/** The password's one way in: never on a command line, where `ps` shows it. */
export const PASSWORD_ENV = 'WIREPROBE_PASSWORD';

/** `cmd:NAME=TEMPLATE` -> spec; protocol inferred from the placeholders; UsageError on anything bad. */
export function parseCommandClient(text: string): CommandClientSpec {
  const match = /^cmd:([^=]*)=([\s\S]*)$/.exec(text);
  if (!match) throw new UsageError(`bad client ${quote(text)}: expected cmd:NAME=COMMAND TEMPLATE`);
  const [, name = '', command = ''] = match;
  const label = checkName(name);
  const uses = parseTemplate(command, label).uses;
  const says = (['smtp', 'ftp'] as const).filter((p) => ONLY[p].some((x) => uses.has(x)));
  if (says.length !== 1) {
    const which = says.length ? 'both SMTP ({from} {to} {message}) and FTP' : 'neither SMTP ({from} {to} {message}) nor FTP';
    throw new UsageError(
      `${label}: its template uses ${which} ({path} {file} {mode} {direction}) placeholders, so its protocol is unclear: declare \`protocol\` for it in a config file`,
    );
  }
  return checkCommandClient({ name, protocol: says[0]!, command });
}

/** Checks a spec (also used for config-file objects): UsageError naming the bad part. */
export function checkCommandClient(spec: CommandClientSpec): CommandClientSpec {
  const label = checkName(spec.name);
  if (spec.protocol !== 'smtp' && spec.protocol !== 'ftp') throw new UsageError(`${label}: bad protocol ${quote(String(spec.protocol))}: expected smtp or ftp`);
  if (typeof spec.command !== 'string') throw new UsageError(`${label}: its command must be a string`);
  const template = parseTemplate(spec.command, label);
  const allowed = [...COMMON, ...ONLY[spec.protocol]];
  const foreign = [...template.uses].find((p) => !allowed.includes(p));
  if (foreign)
    throw new UsageError(
      `${label}: {${foreign}} is no ${spec.protocol.toUpperCase()} placeholder (${spec.protocol}: ${allowed.map((p) => `{${p}}`).join(' ')})`,
    );
  const exits: unknown = spec.exitCodes;
  if (exits !== undefined && (typeof exits !== 'object' || exits === null || Array.isArray(exits))) {
    throw new UsageError(`${label}: exitCodes must map exit codes to meanings, e.g. {"28": "timeout"}`);
  }
  for (const [code, meaning] of Object.entries(spec.exitCodes ?? {})) {
    if (!/^[1-9]\d{0,2}$/.test(code) || Number(code) > 255) throw new UsageError(`${label}: bad exit code ${quote(code)}: expected 1 to 255 (0 is success)`);
    if (!COMMAND_EXITS.includes(meaning))
      throw new UsageError(`${label}: bad meaning ${quote(String(meaning))} for exit ${code}: expected ${COMMAND_EXITS.join(', ')}`);
  }
  const modes = checkModes(spec, template, label);
  const directions = checkDirections(spec, template, label);
  const message: unknown = spec.message;
  if (message !== undefined && message !== 'given' && message !== 'own') {
    throw new UsageError(`${label}: bad message ${quote(String(message))}: expected given (it sends {message}) or own (it composes its own)`);
  }
  if (message !== undefined && spec.protocol !== 'smtp') throw new UsageError(`${label}: message is for SMTP clients`);
  return {
    name: spec.name,
    protocol: spec.protocol,
    command: spec.command,
    ...(spec.exitCodes ? { exitCodes: { ...spec.exitCodes } } : {}),
    ...(modes ? { modes } : {}),
    ...(directions ? { directions } : {}),
    ...(spec.message === 'own' ? { message: 'own' as const } : {}),
  };
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new UsageError(`bad client name ${quote(String(name))}: expected 1 to 40 letters, digits, ".", "_" or "-"`);
  }
  return `command client ${quote(name)}`;
}

/** An FTP client's modes (default: both with {mode}, else passive); SMTP has none. */
function checkModes(spec: CommandClientSpec, template: Template, label: string): readonly FtpMode[] | undefined {
  return checkChoices(spec, template, label, { key: 'modes', one: 'mode', placeholder: 'mode', values: ['passive', 'active'], given: spec.modes });
}

/**
 * An FTP client's directions (default: both with {direction}, else upload only, as the command cannot
 * be told to download); SMTP has none. A client that downloads needs {file}, the local file to write.
 */
function checkDirections(spec: CommandClientSpec, template: Template, label: string): readonly FtpDirection[] | undefined {
  const directions = checkChoices(spec, template, label, {
    key: 'directions',
    one: 'direction',
    placeholder: 'direction',
    values: ['upload', 'download'],
    given: spec.directions,
  });
  if (directions?.includes('download') && !template.uses.has('file')) {
    const why = spec.directions === undefined ? 'with {direction} it downloads too' : 'it downloads';
    const or = spec.directions === undefined ? ' (or declare `directions: [upload]` in a config file)' : '';
    throw new UsageError(`${label}: ${why}, so its template needs {file}, the local file to download to${or}`);
  }
  return directions;
}

/** One FTP choice a client declares (its modes, its directions): two values, each once. */
interface Choice<T extends string> {
  /** The key in a config file: `modes`. */
  readonly key: string;
  /** One value's noun: `mode`. */
  readonly one: string;
  /** The placeholder that tells the command which value a job has. */
  readonly placeholder: Placeholder;
  /** Both values, the default without the placeholder first. */
  readonly values: readonly [T, T];
  readonly given: readonly T[] | undefined;
}

/** A declared choice checked (default: both values with its placeholder, else the first); SMTP has none. */
function checkChoices<T extends string>(spec: CommandClientSpec, template: Template, label: string, choice: Choice<T>): readonly T[] | undefined {
  const { key, one, placeholder, values, given } = choice;
  if (spec.protocol === 'smtp') {
    if (given !== undefined) throw new UsageError(`${label}: ${key} are for FTP clients`);
    return undefined;
  }
  const [first, second] = values;
  const list: unknown = given ?? (template.uses.has(placeholder) ? [first, second] : [first]);
  if (!Array.isArray(list)) throw new UsageError(`${label}: ${key} must be a list: ["${first}"], ["${second}"] or both`);
  const bad = list.find((v) => !values.includes(v));
  if (bad !== undefined) throw new UsageError(`${label}: bad ${one} ${quote(String(bad))}: expected ${first} or ${second}`);
  if (list.length === 0 || new Set(list).size !== list.length) throw new UsageError(`${label}: ${key} must list ${first}, ${second} or both, once each`);
  if (list.length > 1 && !template.uses.has(placeholder)) {
    throw new UsageError(`${label}: it has both ${key} but its template has no {${placeholder}} to tell it which`);
  }
  return [...(list as T[])];
}

/** Every exit code 1-255 means `wire` unless the user's map says otherwise (a code no one mapped says nothing). */
function exitTable(map: CommandClientSpec['exitCodes']): ExitCodes {
  const table: Record<number, CommandExit> = {};
  for (let code = 1; code <= 255; code++) table[code] = map?.[String(code)] ?? 'wire';
  return table;
}

/** Timeouts in whole seconds, rounded up, never down to none (0 means "no timeout" to many programs). */
function seconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function timeoutValues(timeouts: Timeouts): Partial<Record<Placeholder, string>> {
  return { 'connect-timeout': seconds(timeouts.connect), timeout: seconds(timeouts.socket) };
}

/**
 * The report of a run: exit code as usual; a signal the runner did not send (it ignores the report
 * of a run it stopped) is a crash, judged by the wire. The password is masked in whatever the
 * command printed, in case it echoes it.
 */
function reportOf(run: ProcessRun, password: string): ClientReport {
  const report = exitReport(run);
  if (report.ok) return report;
  const masked = password ? report.error.message.split(password).join('***') : report.error.message;
  const crashed = run.exitCode === null && run.signal ? { meaning: 'wire' as const } : {};
  const message = masked || (run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode}`);
  return { ok: false, error: { ...report.error, ...crashed, message } };
}

/** The local file's name: the remote file's, so a client that names its upload after it gets it right. */
function localName(remote: string): string {
  const name = basename(remote);
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}

async function send(template: Located, job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const password = job.auth?.password ?? '';
  return inTempDir(
    'wireprobe-cmd-',
    async (dir) => {
      const message = template.uses.has('message') ? join(dir, 'message.eml') : undefined;
      if (message) await job.content.writeTo(message, { signal });
      const values = {
        host: job.host,
        port: String(job.port),
        from: job.from,
        to: job.to[0] ?? '',
        user: job.auth?.user ?? '',
        message,
        ...timeoutValues(job.timeouts),
      };
      const env = { [PASSWORD_ENV]: password };
      const run = await runProcess(template.program, fill(template, values), { ...(message ? {} : { stdin: job.content }), signal, env, cwd: template.cwd });
      return reportOf(run, password);
    },
    signal,
  );
}

async function transfer(template: Located, job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
  return inTempDir(
    'wireprobe-cmd-',
    async (dir) => {
      const file = join(dir, localName(job.path));
      if (job.direction === 'upload') await job.content.writeTo(file, { signal });
      const values = {
        host: job.host,
        port: String(job.port),
        user: job.user,
        path: job.path,
        file,
        mode: job.mode,
        direction: job.direction,
        ...timeoutValues(job.timeouts),
      };
      // An upload's data is on stdin too: a program reading a pipe (`curl -T -`) fails a cut upload at
      // its own pace, not at a file's, and the template may not need {file} at all.
      const stdin = job.direction === 'upload' ? { stdin: job.content } : {};
      const run = await runProcess(template.program, fill(template, values), { ...stdin, signal, env: { [PASSWORD_ENV]: job.password }, cwd: template.cwd });
      const report = reportOf(run, job.password);
      if (!report.ok || job.direction === 'upload') return report;
      return { ...report, received: await digestFile(file) };
    },
    signal,
  );
}

/** A template with the folder its command runs in. */
type Located = Template & { readonly cwd: string };

/** The adapter for a command client (the spec is checked first: UsageError on anything bad); relative paths start at `cwd`. */
export function commandClient(spec: CommandClientSpec, cwd: string = process.cwd()): SmtpClientAdapter | FtpClientAdapter {
  const checked = checkCommandClient(spec);
  const parsed = parseTemplate(checked.command, `command client ${quote(checked.name)}`);
  // A program given by a path (`./bin/send-mail`) is the one beside the config file or where the command
  // line was given (`cwd`), wherever wireprobe runs it from; a bare name is looked up on PATH.
  const local = parsed.program.includes('/');
  const template = { ...parsed, program: local ? resolve(cwd, parsed.program) : parsed.program, cwd };
  const base = {
    name: checked.name,
    description: `command: ${checked.command}`,
    requires: { command: template.program, install: local ? `${template.program} is not there or not executable` : `${template.program} is not on PATH` },
    exitCodes: exitTable(checked.exitCodes),
  };
  // A template has no TLS placeholder: what TLS it uses is its own business, so TLS scenarios are n/a.
  // A template that names {user} is given SMTP AUTH credentials (the password in its environment), so it
  // runs where a server requires AUTH; without it, such runs are n/a.
  if (checked.protocol === 'smtp') {
    const authenticates = template.uses.has('user') ? { authenticates: true } : {};
    const composes = checked.message === 'own' ? { composes: true } : {};
    return { ...base, protocol: 'smtp', plaintextOnly: true, ...authenticates, ...composes, run: (job, signal) => send(template, job, signal) };
  }
  return {
    ...base,
    protocol: 'ftp',
    plaintextOnly: true,
    modes: checked.modes ?? ['passive'],
    // Scenarios in a direction it does not transfer in are n/a for it (absent: both).
    ...(checked.directions?.length === 1 ? { directions: checked.directions } : {}),
    resumes: false,
    binds: false,
    run: (job, signal) => transfer(template, job, signal),
  };
}
