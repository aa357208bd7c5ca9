/**
 * A user's own client as a Node module (`--client ./my-client.mjs|.ts`): its `send` and `transfer`
 * become adapters like the in-process ones. The module resolves for success and throws for failure;
 * the adapter turns that into a ClientReport and never throws itself.
 *
 *   loadModuleClient(path, cwd) ─► import() (.mjs .js .cjs) | tsx tsImport (.ts .mts .cts)
 *     ─► named exports, else the default export's fields ─► checked ─► one adapter per function
 *   adapter.run(job, signal) ─► await send|transfer(job, signal) ─► resolved: ok (download: its digest)
 *                                                               └► thrown: its codes (ClientError)
 *   Both in the module's own async context (./module-guard.ts): an error its code leaves uncaught ends
 *   the load or the run it belongs to (the run's result: `error`) rather than wireprobe. Every text
 *   taken from the module (detail, codes, command, message) has the job's password masked.
 */
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Digest, digestOf } from '../util/digest.js';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';
import { ClientCrash, calling, loading } from './module-guard.js';
import { masked, thrownLine, thrownText } from './module-text.js';
import type { ModuleClient } from './module-types.js';
import type { ClientAdapter, ClientError, ClientReport, FtpClientAdapter, FtpJob, FtpMode, SmtpClientAdapter, SmtpJob } from './types.js';

/** How each extension is loaded: Node's own import(), or through tsx (TypeScript). */
const LOADERS: Readonly<Record<string, 'import' | 'tsx'>> = {
  '.mjs': 'import',
  '.js': 'import',
  '.cjs': 'import',
  '.ts': 'tsx',
  '.mts': 'tsx',
  '.cts': 'tsx',
};

/**
 * Whether a `--client` value names a module file (by its extension) rather than a built-in client,
 * so the CLI can tell `./my-client.mjs` from `nodemailer` before loading anything.
 */
export function isModulePath(value: string): boolean {
  return Object.hasOwn(LOADERS, extname(value).toLowerCase());
}

/**
 * A name usable in result ids, file names (--transcripts) and on the command line: 1 to 40 letters,
 * digits, `.`, `_`, `-`, as a command client's (src/clients/command.ts), starting with a letter or digit.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

const MODES: readonly FtpMode[] = ['passive', 'active'];
const DIRECTIONS: readonly FtpJob['direction'][] = ['upload', 'download'];

/** How a module is named in errors: `client module "./x.mjs"`. */
function label(path: string): string {
  return `client module ${quote(path)}`;
}

/** Bad input from the user: one line naming the module, exit 2. */
function usageError(path: string, problem: string): UsageError {
  return new UsageError(`${label(path)}${problem}`);
}

/** The first lines of a loader's error on one line, cut: a syntax error's location and reason. */
function summary(error: unknown): string {
  return thrownLine(error, []);
}

/** Whether `error` is a module's crash (./module-guard.ts), which ends its run as `error`; never throws, whatever a module threw. */
function isCrash(error: unknown): error is ClientCrash {
  try {
    return error instanceof ClientCrash;
  } catch {
    return false; // a Proxy whose every read throws
  }
}

async function importModule(file: string, loader: 'import' | 'tsx'): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (loader === 'import') return import(/* @vite-ignore */ url);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}

/**
 * The module's client: its named exports, else its default export's fields (defineClient, CommonJS). A
 * TypeScript file tsx compiles as CommonJS (no `"type": "module"` above it) nests the default once more.
 */
function clientOf(exports: Record<string, unknown>): Record<string, unknown> {
  let client = exports;
  for (let depth = 0; depth < 2 && client.send === undefined && client.transfer === undefined; depth++) {
    const inner = client.default;
    if (typeof inner !== 'object' || inner === null) break;
    client = inner as Record<string, unknown>;
  }
  return client;
}

/** A module client with its defaults filled in and its functions bound to it. */
interface Loaded {
  readonly name: string;
  readonly description: string;
  readonly modes: readonly FtpMode[];
  readonly directions: readonly FtpJob['direction'][];
  /** SMTP: it sends a message of its own (ModuleClient.message `own`). */
  readonly composes: boolean;
  readonly send?: NonNullable<ModuleClient['send']>;
  readonly transfer?: NonNullable<ModuleClient['transfer']>;
}

/** Checks the exports' shapes; the first problem is one usage error line naming the file. */
function checked(client: Record<string, unknown>, path: string, file: string): Loaded {
  const bad = (what: string): UsageError => usageError(path, `: ${what}`);
  const {
    send,
    transfer,
    name = basename(file, extname(file)),
    description = `your module client ${basename(file)}`,
    modes = ['passive'],
    directions = DIRECTIONS,
    message = 'given',
  } = client;
  if (send === undefined && transfer === undefined) throw bad('exports neither send(job, signal) nor transfer(job, signal)');
  if (send !== undefined && typeof send !== 'function') throw bad(`send must be a function, not ${typeof send}`);
  if (transfer !== undefined && typeof transfer !== 'function') throw bad(`transfer must be a function, not ${typeof transfer}`);
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? quote(name, 40) : `of type ${typeof name}`;
    throw bad(`name ${shown} must be 1 to 40 letters, digits, ".", "_" or "-", starting with a letter or digit (export a name)`);
  }
  if (typeof description !== 'string') throw bad('description must be a string');
  if (message !== 'given' && message !== 'own')
    throw bad(`message must be "given" (send() sends job.message) or "own" (it composes its own), not ${quote(String(message), 40)}`);
  // FTP only: a module that only sends is not held to what its other exports happen to be.
  if (transfer !== undefined) {
    checkList('modes', modes, MODES, bad);
    checkList('directions', directions, DIRECTIONS, bad);
  }
  return {
    name,
    description,
    modes: modes as FtpMode[],
    directions: directions as FtpJob['direction'][],
    composes: message === 'own',
    ...(typeof send === 'function' ? { send: send.bind(client) } : {}),
    ...(typeof transfer === 'function' ? { transfer: transfer.bind(client) } : {}),
  };
}

/** An exported list of `allowed` values (modes, directions): non-empty, each once; else its usage error, naming the bad value. */
function checkList(what: string, value: unknown, allowed: readonly string[], bad: (what: string) => UsageError): void {
  const expected = `a non-empty list of ${allowed.map((a) => `"${a}"`).join(' and ')}`;
  if (!Array.isArray(value) || value.length === 0) throw bad(`${what} must be ${expected}, not ${quote(JSON.stringify(value) ?? String(value))}`);
  const wrong = value.find((v) => !allowed.includes(v));
  if (wrong !== undefined) throw bad(`${what}: ${quote(String(wrong))} is not one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  if (new Set(value).size !== value.length) throw bad(`${what} must list each value once, not ${quote(JSON.stringify(value))}`);
}

/**
 * Loads `path` (.mjs/.js/.cjs: import(); .ts/.mts/.cts: through tsx's `tsImport`), resolved against
 * `cwd`, and returns one adapter per exported function: `send` (SMTP), `transfer` (FTP). A file that is
 * missing, does not load (its top level throws, crashes, or awaits what never settles) or exports
 * neither is one usage error line naming it. When `signal` aborts (Ctrl-C) before the load settled, it
 * rejects with the signal's reason.
 */
export async function loadModuleClient(path: string, cwd: string, signal?: AbortSignal): Promise<ClientAdapter[]> {
  const file = resolve(cwd, path);
  const loader = LOADERS[extname(file).toLowerCase()];
  if (!loader) throw usageError(path, ': expected a .mjs, .js, .cjs, .ts, .mts or .cts file');
  if (!existsSync(file)) throw usageError(path, `: no such file (${quote(file)})`);
  let exports: Record<string, unknown>;
  const never = usageError(path, ' never finished loading (its top-level await did not settle)');
  try {
    exports = await loading(label(path), () => importModule(file, loader), signal, never);
  } catch (error) {
    if (error === never || (signal?.aborted && error === signal.reason)) throw error;
    if (isCrash(error)) throw new UsageError(`${error.message} (while it loaded)`);
    throw usageError(path, ` does not load: ${summary(error)}`);
  }
  const { name, description, modes, directions, composes, send, transfer } = checked(clientOf(exports), path, file);
  return [
    ...(send ? [{ ...smtpAdapter(label(path), name, description, send), ...(composes ? { composes } : {}) }] : []),
    ...(transfer ? [ftpAdapter(label(path), name, description, modes, directions, transfer)] : []),
  ];
}

/**
 * `job` as a module is given it: its content whole in `key` as well (`message`, `data`), made when first
 * read and kept for the run, so a module written for Buffers works and one that streams never makes it.
 */
function whole<J extends SmtpJob | FtpJob, K extends 'message' | 'data'>(job: J, key: K): J & Readonly<Record<K, Buffer>> {
  let made: Buffer | undefined;
  // A setter too: a module that assigns to it (its own copy, changed) gets what it assigned.
  const property = { enumerable: true, get: () => (made ??= job.content.bytes()), set: (value: Buffer) => void (made = value) };
  return Object.defineProperty({ ...job }, key, property) as J & Readonly<Record<K, Buffer>>;
}

function smtpAdapter(client: string, name: string, description: string, send: NonNullable<ModuleClient['send']>): SmtpClientAdapter {
  return {
    name,
    protocol: 'smtp',
    description,
    holdsContent: Number.POSITIVE_INFINITY,
    async run(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
      const secrets = job.auth ? [job.auth.password] : [];
      try {
        const value = await calling(client, secrets, signal, (own) => send(whole(job, 'message'), own));
        return { ok: true, detail: masked(detailOf(value, 'send() resolved'), secrets) };
      } catch (error) {
        // A crash is no report of the client's: the run is an `error` naming the module.
        if (isCrash(error)) throw error;
        return { ok: false, error: moduleError(error, secrets) };
      }
    },
  };
}

function ftpAdapter(
  client: string,
  name: string,
  description: string,
  modes: readonly FtpMode[],
  directions: readonly FtpJob['direction'][],
  transfer: NonNullable<ModuleClient['transfer']>,
): FtpClientAdapter {
  return {
    name,
    protocol: 'ftp',
    description,
    modes,
    ...(directions.length === 1 ? { directions } : {}),
    resumes: false,
    binds: false,
    holdsContent: Number.POSITIVE_INFINITY,
    async run(job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
      const secrets = [job.password];
      try {
        const value = await calling(client, secrets, signal, (own) => transfer(whole(job, 'data'), own));
        if (job.direction === 'upload') return { ok: true, detail: masked(detailOf(value, 'transfer() resolved'), secrets) };
        const received = receivedOf(value);
        const detail = received ? `transfer() resolved with ${received.bytes} bytes` : 'transfer() resolved without the file';
        return { ok: true, detail, ...(received ? { received } : {}) };
      } catch (error) {
        if (isCrash(error)) throw error;
        return { ok: false, error: moduleError(error, secrets) };
      }
    },
  };
}

/** `value[key]`, or undefined when it is not an object or reading it throws (a getter, a Proxy). */
function field(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Whether `value` is a Uint8Array (a Buffer); false for a Proxy that throws when asked. */
function isBytes(value: unknown): value is Uint8Array {
  try {
    return value instanceof Uint8Array;
  } catch {
    return false;
  }
}

/** A resolved value as the report's detail: a string, or a string `response` (nodemailer's info). */
function detailOf(value: unknown, otherwise: string): string {
  if (typeof value === 'string' && value !== '') return value;
  const response = field(value, 'response');
  return typeof response === 'string' && response !== '' ? response : otherwise;
}

/** A download's digest: from its content, or as given; absent when the module resolved with neither. */
export function receivedOf(value: unknown): Digest | undefined {
  if (isBytes(value)) return digestOf(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  const bytes = field(value, 'bytes');
  const sha256 = field(value, 'sha256');
  if (typeof bytes === 'number' && typeof sha256 === 'string' && /^[0-9a-f]{64}$/i.test(sha256)) {
    return { bytes, sha256: sha256.toLowerCase() };
  }
  return undefined;
}

const text = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

/**
 * Reduces what a module threw to codes, never its text: its string `code`; its `responseCode`, or a
 * numeric `code` that is a reply code (basic-ftp's FTPError); its `command`; the socket code underneath
 * from `cause.code`, `originalCode` (nodemailer) or a string `errno`. A Node system error (ECONNRESET,
 * with `syscall`) carries its code in `code`. The message is kept for people. Every text taken from
 * it (codes, command, message) has `secrets` masked. Whatever the codes do not explain, the proxy's
 * wire evidence does (meaning `wire`). Never throws, whatever was thrown (a getter that throws, an
 * object with no string form: "threw a value that is not an Error").
 */
export function moduleError(thrown: unknown, secrets: readonly string[]): ClientError {
  const read = (key: string): unknown => field(thrown, key);
  const safe = (x: string | undefined): string | undefined => (x === undefined ? undefined : masked(x, secrets));
  const rawCode = read('code');
  const responseCode = read('responseCode');
  const code = safe(text(rawCode));
  const reply = typeof responseCode === 'number' ? responseCode : typeof rawCode === 'number' && rawCode >= 100 && rawCode <= 599 ? rawCode : undefined;
  const cause = safe(text(field(read('cause'), 'code')) ?? text(read('originalCode')) ?? text(read('errno')));
  const command = safe(text(read('command')));
  const message = masked(thrownText(thrown) ?? 'threw a value that is not an Error', secrets);
  return {
    ...(code ? { code } : {}),
    ...(cause ? { cause } : {}),
    ...(reply !== undefined ? { responseCode: reply } : {}),
    ...(command ? { command } : {}),
    // Codes classify does not know leave the wire to decide, a failure reply the last word included.
    meaning: 'wire',
    message,
  };
}
