/**
 * The config file: `--config FILE`, or the one `wireprobe.config.{json,yaml,yml,ts,mjs}` in the working
 * directory. Checked whole (unknown keys refused), paths in it made absolute against its own folder, so
 * the command line can treat its values as flags given.
 *
 *   --config FILE | discover(cwd) ─► readContent ─► configSchema ─► paths resolved ─► LoadedConfig
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';
import { type CommandClientConfig, configSchema, type TargetConfig } from './config-schema.js';
import { schemaProblem } from './problem.js';
import { type FileContent, readContent } from './read.js';

const WHAT = 'config file';
/** The names a config file is found under in the working directory. */
export const CONFIG_NAMES = ['json', 'yaml', 'yml', 'ts', 'mjs'].map((ext) => `wireprobe.config.${ext}`);

/** A client as the config names it: `--client` text, a command client, or a module (absolute path). */
export type ClientSpec = string | CommandClientConfig | { readonly module: string };
/** A target as the config names it: `--target` text, or the object form (file paths absolute). */
export type TargetSpec = string | TargetConfig;

/** A checked config file; every path in it absolute. */
export interface LoadedConfig {
  /** The file, absolute. */
  readonly file: string;
  readonly suites?: readonly string[];
  /** Scenario files. */
  readonly scenarios?: readonly string[];
  readonly clients?: readonly ClientSpec[];
  readonly targets?: readonly TargetSpec[];
  /** As `--server` takes them; a `NAME:PATH` launcher config with PATH absolute. */
  readonly servers?: readonly string[];
  readonly reports?: {
    readonly json?: string;
    readonly junit?: string;
    readonly html?: string;
    readonly transcripts?: string;
    readonly pcap?: string;
    readonly keylog?: string;
  };
  readonly concurrency?: number;
  readonly failOnDeviation?: boolean;
  /** As `--family` takes it: `4`, `6` or `both`. */
  readonly family?: string;
  /** As `--tls` of `run` and `matrix` takes it: `none`, `starttls`, `implicit` or `all`. */
  readonly tls?: string;
}

/** The config file `--config` names (relative to `cwd`), else the one in `cwd`, else undefined. Two in `cwd` is an error. */
export async function loadConfig(given: string | undefined, cwd: string): Promise<LoadedConfig | undefined> {
  const shown = given ?? discover(cwd);
  if (shown === undefined) return undefined;
  const file = resolve(cwd, shown);
  return configOf(await readContent(file, shown, WHAT), file, shown);
}

/** The config a file's content holds, checked; `file` absolute, `shown` as the user named it. */
export function configOf(content: FileContent, file: string, shown: string): LoadedConfig {
  const checked = configSchema.safeParse(content.data);
  if (!checked.success) throw schemaProblem(WHAT, shown, content, checked.error);
  const c = checked.data;
  const dir = dirname(file);
  const path = (p: string): string => resolve(dir, p);
  const reports = c.reports && Object.fromEntries(Object.entries(c.reports).map(([k, v]) => [k, v === undefined ? v : path(v)]));
  return {
    file,
    ...(c.suites ? { suites: c.suites } : {}),
    ...(c.scenarios ? { scenarios: c.scenarios.map(path) } : {}),
    ...(c.clients ? { clients: c.clients.map((spec) => clientPaths(spec, path)) } : {}),
    ...(c.targets ? { targets: c.targets.map((spec) => targetPaths(spec, path)) } : {}),
    ...(c.servers ? { servers: c.servers.map((s) => serverPaths(s, path)) } : {}),
    ...(reports ? { reports } : {}),
    ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
    ...(c.failOnDeviation !== undefined ? { failOnDeviation: c.failOnDeviation } : {}),
    ...(c.family !== undefined ? { family: String(c.family) } : {}),
    ...(c.tls !== undefined ? { tls: c.tls } : {}),
  };
}

function discover(cwd: string): string | undefined {
  const found = CONFIG_NAMES.filter((name) => existsSync(join(cwd, name)));
  if (found.length > 1) throw new UsageError(`two config files in ${quote(cwd)}: ${found.join(' and ')}; keep one, or name one with --config`);
  return found[0];
}

/** A module client's path (object, or text that is a path: `./client.mjs`), absolute. */
function clientPaths(spec: ClientSpec, path: (p: string) => string): ClientSpec {
  if (typeof spec === 'string') return /^\.{1,2}\//.test(spec) ? path(spec) : spec;
  return 'module' in spec ? { module: path(spec.module) } : spec;
}

function targetPaths(spec: TargetSpec, path: (p: string) => string): TargetSpec {
  if (typeof spec === 'string') return spec;
  return { ...spec, ...(spec.passwordFile ? { passwordFile: path(spec.passwordFile) } : {}), ...(spec.maildir ? { maildir: path(spec.maildir) } : {}) };
}

/** `postfix:./main.cf` with the config file's folder as the base; a plain name as it is. */
export function serverPaths(spec: string, path: (p: string) => string): string {
  const m = /^([\w-]+):(.+)$/.exec(spec);
  return m && !isAbsolute(m[2]!) ? `${m[1]}:${path(m[2]!)}` : spec;
}
