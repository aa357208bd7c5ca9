/**
 * The command line's options (node:util parseArgs), what the commands share of them, and the check
 * that refuses an option a command does not take.
 */
import type { parseArgs, ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/usage-error.js';

export const OPTIONS = {
  suite: { type: 'string', multiple: true },
  scenarios: { type: 'string', multiple: true },
  config: { type: 'string' },
  client: { type: 'string', multiple: true },
  clients: { type: 'string', multiple: true },
  server: { type: 'string', multiple: true },
  servers: { type: 'string', multiple: true },
  html: { type: 'string' },
  json: { type: 'string' },
  blob: { type: 'string' },
  baseline: { type: 'string' },
  'fail-on-change': { type: 'boolean' },
  junit: { type: 'string' },
  transcripts: { type: 'string' },
  pcap: { type: 'string' },
  keylog: { type: 'string' },
  concurrency: { type: 'string' },
  family: { type: 'string' },
  'fail-on-deviation': { type: 'boolean' },
  shard: { type: 'string' },
  durations: { type: 'string' },
  'only-failed': { type: 'string' },
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
  keep: { type: 'string' },
  control: { type: 'string' },
  auth: { type: 'string' },
  tls: { type: 'string' },
  'require-tls-reuse': { type: 'boolean' },
  'prot-p': { type: 'string' },
  'require-tls': { type: 'boolean' },
  'fail-on': { type: 'string' },
  'max-sessions': { type: 'string' },
  'max-idle': { type: 'string' },
  'upload-size': { type: 'string' },
  'max-data-idle': { type: 'string' },
  'quota-probe': { type: 'string' },
  send: { type: 'boolean' },
  rcpt: { type: 'string' },
  target: { type: 'string', multiple: true },
  from: { type: 'string' },
  'max-messages': { type: 'string' },
  maildir: { type: 'string' },
  starttls: { type: 'string' },
  timeout: { type: 'string' },
  'password-env': { type: 'string' },
  'password-file': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** Options of `run` and `matrix`: the reports, concurrency, address families, TLS variants, the baseline and the console's looks. */
export const REPORTS = [
  'json',
  'blob',
  'baseline',
  'fail-on-change',
  'junit',
  'html',
  'transcripts',
  'pcap',
  'keylog',
  'concurrency',
  'family',
  'tls',
  'fail-on-deviation',
  'no-color',
  'verbose',
] as const;
/** Options of `run` and `matrix` that go with `--target` (src/commands/target-args.ts). */
export const TARGET_OPTIONS = ['target', 'from', 'rcpt', 'max-messages', 'maildir', 'password-env', 'password-file'] as const;
/** Where a command line writes and what environment it sees: process's own, or a test's. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted by the first Ctrl-C or SIGTERM (src/util/interrupt.ts); default: never. */
  readonly signal?: AbortSignal;
  /** Where relative paths start and the config file is looked for; default process.cwd(). */
  readonly cwd?: string;
}

export function onlyFor(command: string, values: Values, allowed: readonly (keyof Values)[]): void {
  for (const key of Object.keys(values) as (keyof Values)[]) {
    if (!allowed.includes(key)) throw new UsageError(`option --${String(key)} does not apply to "${command}"`);
  }
}
