/**
 * A user's proftpd.conf, merged with what a private instance on loopback must own.
 *
 *   parse:  directives (`Name args`, `#` comments, a trailing `\` continues a line) and blocks
 *           (`<IfModule ...>`, `<Directory ...>`, `<Anonymous ...>`, `<Limit ...>`, `<Global>`...) as a tree;
 *           names are case-insensitive, as proftpd reads them.
 *   merge:  Include files that exist here are read in their place (and merged like the rest), others
 *           dropped; the instance's directives (ServerType, Port, addresses, pid/scoreboard/log paths,
 *           the login's AuthUserFile and DefaultRoot, ModulePath...) are ours wherever the user has
 *           them; <VirtualHost> blocks (other addresses) and <Anonymous> blocks whose directory is not
 *           here are dropped; LoadModule of a module not here, certificate files not here: dropped or
 *           ours; other log files go into the launcher's directory. Limits, <Limit> rules, timeouts,
 *           the banner are the user's. Each change is listed.
 */
import { basename, join } from 'node:path';
import { decide, type Machine, type Merged, missingPath, type Overridden, REMOVED, UserConfigSyntaxError } from './user-config.js';

export type ProftpdNode =
  | { readonly kind: 'directive'; readonly name: string; readonly args: string }
  | { readonly kind: 'block'; readonly name: string; readonly args: string; readonly children: readonly ProftpdNode[] };

/** proftpd.conf as a tree of directives and blocks. */
export function parseProftpdConf(text: string): ProftpdNode[] {
  const root: ProftpdNode[] = [];
  const open: Array<{ readonly name: string; readonly args: string; readonly children: ProftpdNode[]; readonly line: number }> = [];
  let pending = '';
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = `${pending}${raw.trim()}`;
    if (line.endsWith('\\')) {
      pending = `${line.slice(0, -1)} `;
      return;
    }
    pending = '';
    if (line === '' || line.startsWith('#')) return;
    const into = open.at(-1)?.children ?? root;
    const close = /^<\/\s*([A-Za-z]+)\s*>$/.exec(line);
    if (close) {
      const block = open.pop();
      if (!block || block.name.toLowerCase() !== close[1]!.toLowerCase()) {
        throw new UserConfigSyntaxError(`line ${index + 1}: ${line} closes ${block ? `<${block.name}> of line ${block.line}` : 'no open block'}`);
      }
      (open.at(-1)?.children ?? root).push({ kind: 'block', name: block.name, args: block.args, children: block.children });
      return;
    }
    const start = /^<\s*([A-Za-z]+)\s*([^>]*)>$/.exec(line);
    if (start) {
      open.push({ name: start[1]!, args: start[2]!.trim(), children: [], line: index + 1 });
      return;
    }
    const directive = /^(\S+)\s*(.*)$/.exec(line)!;
    into.push({ kind: 'directive', name: directive[1]!, args: directive[2]!.trim() });
  });
  const unclosed = open.at(-1);
  if (unclosed) throw new UserConfigSyntaxError(`line ${unclosed.line}: <${unclosed.name}> is never closed`);
  return root;
}

/** What the launcher gives the merger for one start. */
export interface ProftpdMergeInput {
  /** Directives the instance must own, written at the top whatever the user says (the user's are dropped). */
  readonly forced: ReadonlyArray<readonly [string, string]>;
  /** Scenario knobs (MaxClients...), written after the user's config; the user's are dropped and listed. */
  readonly knobs: ReadonlyArray<readonly [string, string]>;
  /** Written only when the user's config has no such directive. */
  readonly fallback: ReadonlyArray<readonly [string, string]>;
  /** Config text of ours written at the end (the knobs' blocks). */
  readonly tail: string;
  /** The module directory LoadModule reads from. */
  readonly modules: string;
  /** The launcher's directory, for the user's other log files. */
  readonly dir: string;
  readonly certificate: { readonly certFile: string; readonly keyFile: string };
}

/** Directives that may not appear at all: other listeners, other accounts databases. */
const DROPPED = new Set(['bind', 'authgroupfile', 'defaultserver']);
const CERTIFICATES = new Set(['tlsrsacertificatefile', 'tlsrsacertificatekeyfile']);
const CERTIFICATE_FILES = new Set([
  'tlscacertificatefile',
  'tlscacertificatepath',
  'tlscertificatechainfile',
  'tlsdhparamfile',
  'tlseccertificatefile',
  'tlseccertificatekeyfile',
  'tlsdsacertificatefile',
  'tlsdsacertificatekeyfile',
]);
/** How deep Include files may nest (a loop of Includes stops here). */
const INCLUDE_DEPTH = 8;

/** The merged proftpd.conf, every change listed, and whether the launcher's certificate is used. */
export function mergeProftpdConf(userText: string, input: ProftpdMergeInput, machine: Machine): Merged & { readonly usesCertificate: boolean } {
  const overridden: Overridden[] = [];
  const lower = (pairs: ReadonlyArray<readonly [string, string]>) => new Map(pairs.map(([name, args]) => [name.toLowerCase(), args]));
  const forced = lower(input.forced);
  const knobs = lower(input.knobs);
  const seen = new Set<string>();
  let usesCertificate = false;

  /** `server`: in the server's own context (top level, <Global>, <IfModule>), where the instance's directives live. */
  const directive = (name: string, args: string, server: boolean): string | undefined => {
    const key = name.toLowerCase();
    if (server) seen.add(key);
    if (server && (forced.has(key) || knobs.has(key) || DROPPED.has(key))) {
      decide(overridden, name, args, forced.get(key) ?? knobs.get(key));
      return undefined; // ours is written once, at the top (forced) or the end (knobs)
    }
    const path = args.split(/\s+/)[0] ?? '';
    if (key === 'loadmodule' && !machine.exists(join(input.modules, args.replace(/\.c$/, '.so')))) return decide(overridden, name, args, undefined);
    if (CERTIFICATES.has(key) && missingPath(path, machine)) {
      usesCertificate = true;
      return decide(overridden, name, args, key === 'tlsrsacertificatefile' ? input.certificate.certFile : input.certificate.keyFile);
    }
    if (CERTIFICATE_FILES.has(key) && missingPath(path, machine)) return decide(overridden, name, args, undefined);
    if (key.endsWith('log') && path.startsWith('/'))
      return decide(overridden, name, args, `${join(input.dir, `user-${basename(path)}`)}${args.slice(path.length)}`);
    return args;
  };

  const render = (nodes: readonly ProftpdNode[], indent: string, depth: number, server = true): string[] =>
    nodes.flatMap((node): string[] => {
      const key = node.name.toLowerCase();
      if (node.kind === 'directive' && key === 'include') {
        const text = depth < INCLUDE_DEPTH && !node.args.includes('*') ? machine.read(node.args) : undefined;
        if (text === undefined) {
          decide(overridden, node.name, node.args, undefined);
          return [];
        }
        return render(parseProftpdConf(text), indent, depth + 1, server);
      }
      if (node.kind === 'directive') {
        const args = directive(node.name, node.args, server);
        return args === undefined ? [] : [`${indent}${node.name} ${args}`.trimEnd()];
      }
      const dir = node.args.replace(/^"|"$/g, '');
      const gone = key === 'virtualhost' || (key === 'anonymous' && (dir.startsWith('~') ? !machine.hasAccount(dir.slice(1)) : missingPath(dir, machine)));
      if (gone) {
        overridden.push({ key: `<${node.name} ${node.args}>`, user: 'block', ours: REMOVED });
        return [];
      }
      // An <Anonymous> or <Directory> block's own User, MaxClients... are the user's rules for that login or path.
      const inner = server && (key === 'global' || key === 'ifmodule' || key === 'ifdefine');
      return [`${indent}<${node.name}${node.args ? ` ${node.args}` : ''}>`, ...render(node.children, `${indent}  `, depth, inner), `${indent}</${node.name}>`];
    });

  const body = render(parseProftpdConf(userText), '', 0);
  const fallback = input.fallback.filter(([name]) => !seen.has(name.toLowerCase()));
  const lines = (pairs: ReadonlyArray<readonly [string, string]>) => pairs.map(([name, args]) => `${name} ${args}`.trimEnd());
  const text = [...lines(input.forced), ...body, ...lines(fallback), ...lines(input.knobs), input.tail.trimEnd()].filter(Boolean);
  return { text: `${text.join('\n')}\n`, overridden, usesCertificate };
}
