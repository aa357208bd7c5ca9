/**
 * Provenance: what a report's results came from (wireprobe's, Node's and OpenSSL's versions, the OS,
 * and the version of each client and server that ran), so two reports can be told apart by their
 * environment as well as by their results (`wireprobe diff`, `wireprobe merge`).
 *
 *   client/server names ──► VERSION_SOURCES (a program's --version line, or an npm package's version)
 *                       ──► all at once, each bounded by VERSION_TIMEOUT_MS ──► Provenance
 *
 * A program that is missing, fails or says nothing is left out: provenance never fails a run.
 */
import { createRequire } from 'node:module';
import { arch, release, type } from 'node:os';
import { findBinary } from '../../servers/real/binaries.js';
import { runProcess } from '../clients/process.js';

/** Where a report's results came from. */
export interface Provenance {
  /** wireprobe's own version. */
  readonly wireprobe: string;
  /** `process.version`, e.g. `v20.20.0`. */
  readonly node: string;
  /** The OpenSSL Node was built with (`process.versions.openssl`). */
  readonly openssl: string;
  /** `Linux 6.1.0-18-amd64 x64`: kernel name, release and architecture. */
  readonly os: string;
  /** Client name to the version it reported; a client whose version could not be read is absent. */
  readonly clients: Readonly<Record<string, string>>;
  /** Server name (`mock-smtp`, `postfix`...) to its version; absent when it could not be read. */
  readonly servers: Readonly<Record<string, string>>;
}

/** A version comes from a program's output (first line, or `pick`) or from an npm package's package.json. */
export type VersionSource =
  | { readonly program: string; readonly args: readonly string[]; readonly label?: string; readonly alternatives?: readonly string[] }
  | { readonly package: string };

/** Version probes must not hold up a run: each one is killed after this long and left out. */
export const VERSION_TIMEOUT_MS = 3000;

const PYTHON: VersionSource = { program: 'python3', args: ['-V'] };

/** How each built-in client tells its version; a user's own client is given by its description (ProvenanceOf.described). */
const CLIENT_VERSIONS: Readonly<Record<string, VersionSource>> = {
  nodemailer: { package: 'nodemailer' },
  'nodemailer-pool': { package: 'nodemailer' },
  'basic-ftp': { package: 'basic-ftp' },
  curl: { program: 'curl', args: ['--version'] },
  swaks: { program: 'swaks', args: ['--version'] },
  lftp: { program: 'lftp', args: ['--version'] },
  msmtp: { program: 'msmtp', args: ['--version'] },
  smtplib: PYTHON,
  ftplib: PYTHON,
};

/**
 * How each built-in server tells its version. vsftpd prints `-v` on its standard input (sic), hence the
 * shell redirection; `postconf -d` reads no main.cf, which a machine running only our Postfix lacks.
 */
const SERVER_VERSIONS: Readonly<Record<string, VersionSource>> = {
  'mock-smtp': { package: 'smtp-server' },
  'mock-ftp': { package: 'ftp-srv' },
  postfix: { program: 'postconf', args: ['-d', '-h', 'mail_version'], label: 'Postfix' },
  exim: { program: 'exim4', alternatives: ['exim'], args: ['-bV'] },
  vsftpd: { program: 'vsftpd', args: ['-v'] },
  'pure-ftpd': { program: 'pure-ftpd', args: ['--help'] },
  proftpd: { program: 'proftpd', args: ['-v'] },
};

/** What to collect provenance for: wireprobe's version and the clients and servers by name. */
export interface ProvenanceOf {
  readonly wireprobe: string;
  readonly clients: readonly string[];
  readonly servers: readonly string[];
  /** How each client and server tells its version; default the built-in tables. */
  readonly sources?: { readonly clients: Readonly<Record<string, VersionSource>>; readonly servers: Readonly<Record<string, VersionSource>> };
  /** Default VERSION_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Clients with no version source (the user's own command and module clients), by what they are instead. */
  readonly described?: Readonly<Record<string, string>>;
  /** Servers with no program to ask (the user's `--target`s), by what they said instead (their greeting). */
  readonly describedServers?: Readonly<Record<string, string>>;
}

/** Collects the provenance of a run; the version probes run in parallel, once per distinct source. */
export async function collectProvenance(of: ProvenanceOf): Promise<Provenance> {
  const cache = new Map<VersionSource, Promise<string | undefined>>();
  const read = (source: VersionSource): Promise<string | undefined> => {
    const known = cache.get(source);
    if (known) return known;
    const found = versionOf(source, of.timeoutMs ?? VERSION_TIMEOUT_MS).catch(() => undefined);
    cache.set(source, found);
    return found;
  };
  // A server run from the user's config (`postfix:main.cf`) is its launcher's program.
  const sourceOf = (sources: Readonly<Record<string, VersionSource>>, name: string): VersionSource | undefined =>
    Object.hasOwn(sources, name) ? sources[name] : Object.hasOwn(sources, name.split(':')[0]!) ? sources[name.split(':')[0]!] : undefined;
  const table = async (names: readonly string[], sources: Readonly<Record<string, VersionSource>>): Promise<Record<string, string>> => {
    const unique = [...new Set(names)].filter((name) => sourceOf(sources, name) !== undefined);
    const versions = await Promise.all(unique.map((name) => read(sourceOf(sources, name)!)));
    return Object.fromEntries(unique.flatMap((name, i) => (versions[i] ? [[name, versions[i]]] : [])));
  };
  const sources = of.sources ?? { clients: CLIENT_VERSIONS, servers: SERVER_VERSIONS };
  const [clients, servers] = await Promise.all([table(of.clients, sources.clients), table(of.servers, sources.servers)]);
  const described = Object.entries(of.described ?? {}).filter(([name]) => of.clients.includes(name) && sourceOf(sources.clients, name) === undefined);
  const greeted = Object.entries(of.describedServers ?? {}).filter(([name]) => of.servers.includes(name));
  return { ...environment(of.wireprobe), clients: { ...clients, ...Object.fromEntries(described) }, servers: { ...servers, ...Object.fromEntries(greeted) } };
}

/** wireprobe's, Node's and OpenSSL's versions and the OS: no program to run. */
export function environment(wireprobe: string): Pick<Provenance, 'wireprobe' | 'node' | 'openssl' | 'os'> {
  return { wireprobe, node: process.version, openssl: process.versions.openssl ?? 'none', os: `${type()} ${release()} ${arch()}` };
}

const packages = createRequire(import.meta.url);

async function versionOf(source: VersionSource, timeoutMs: number): Promise<string | undefined> {
  if ('package' in source) return `${source.package} ${(packages(`${source.package}/package.json`) as { version: string }).version}`;
  let path: string | undefined;
  for (const name of [source.program, ...(source.alternatives ?? [])]) {
    path = await findBinary(name);
    if (path) break;
  }
  if (!path) return undefined;
  const deadline = AbortSignal.timeout(timeoutMs);
  // `0>&1`: a program that writes its version to fd 0 (vsftpd) writes it to the captured stdout instead.
  const run = await runProcess('/bin/sh', ['-c', '"$0" "$@" 0>&1', path, ...source.args], { signal: deadline });
  if (deadline.aborted || run.spawnError) return undefined;
  const line = firstLine(run.stdout) ?? firstLine(run.stderr);
  if (line === undefined) return undefined;
  return source.label ? `${source.label} ${line}` : line;
}

/** The first non-blank line of `text`, trimmed and cut to 200 characters (a version, not a banner). */
function firstLine(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line?.trim().slice(0, 200);
}

/**
 * What differs between two provenances, a phrase each (`curl: "curl 7.88.1 ..." vs "curl 8.5.0 ..."`).
 * Clients and servers only one report has are not an environment difference (a different selection).
 */
export function provenanceChanges(a: Provenance | undefined, b: Provenance | undefined): string[] {
  if (a === undefined || b === undefined) return a === b ? [] : ['one report carries no provenance'];
  const changes: string[] = [];
  const compare = (what: string, x: string | undefined, y: string | undefined): void => {
    if (x !== undefined && y !== undefined && x !== y) changes.push(`${what}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  for (const key of ['wireprobe', 'node', 'openssl', 'os'] as const) compare(key, a[key], b[key]);
  for (const [name, version] of Object.entries(a.clients)) compare(`client ${name}`, version, b.clients[name]);
  for (const [name, version] of Object.entries(a.servers)) compare(`server ${name}`, version, b.servers[name]);
  return changes;
}

/** One line for the console: `provenance: wireprobe 0.1.0, node v20.20.0, OpenSSL 3.0.19, Linux ... x64; curl 7.88.1 ...`. */
export function formatProvenance(p: Provenance): string {
  const parts = [...Object.values(p.clients), ...Object.values(p.servers)];
  const programs = [...new Set(parts)].join(', ');
  return `provenance: wireprobe ${p.wireprobe}, node ${p.node}, OpenSSL ${p.openssl}, ${p.os}${programs ? `; ${programs}` : ''}`;
}

/** The provenance as flat name/value pairs (`client.curl`), for JUnit properties and the HTML header. */
export function provenancePairs(p: Provenance): [string, string][] {
  return [
    ['wireprobe', p.wireprobe],
    ['node', p.node],
    ['openssl', p.openssl],
    ['os', p.os],
    ...Object.entries(p.clients).map(([name, version]): [string, string] => [`client.${name}`, version]),
    ...Object.entries(p.servers).map(([name, version]): [string, string] => [`server.${name}`, version]),
  ];
}

/** `p` with only the clients and servers some result ran with (a run collects for what it selected). */
export function ranIn(p: Provenance, results: readonly { readonly client: string; readonly server: string }[]): Provenance {
  const clients = new Set(results.map((r) => r.client));
  const servers = new Set(results.map((r) => r.server));
  const keep = (table: Readonly<Record<string, string>>, names: ReadonlySet<string>) =>
    Object.fromEntries(Object.entries(table).filter(([name]) => names.has(name)));
  return { ...p, clients: keep(p.clients, clients), servers: keep(p.servers, servers) };
}

/**
 * One provenance for the shards of a run: the first's environment, and every client and server any
 * of them ran (the first version seen), in `order` (the run's own order of names) when given.
 */
export function joinProvenance(
  all: readonly Provenance[],
  order?: { readonly clients: readonly string[]; readonly servers: readonly string[] },
): Provenance | undefined {
  const [first] = all;
  if (!first) return undefined;
  const join = (tables: readonly Readonly<Record<string, string>>[], names: readonly string[] = []): Record<string, string> => {
    const found = new Map<string, string>();
    for (const table of tables) for (const [name, version] of Object.entries(table)) if (!found.has(name)) found.set(name, version);
    const rank = (name: string): number => (names.includes(name) ? names.indexOf(name) : names.length);
    return Object.fromEntries([...found].sort(([a], [b]) => rank(a) - rank(b)));
  };
  return {
    ...first,
    clients: join(
      all.map((p) => p.clients),
      order?.clients,
    ),
    servers: join(
      all.map((p) => p.servers),
      order?.servers,
    ),
  };
}
