/**
 * The user's scenario files as suites, built as suites/ builds its own: ids `suite/name`, unique; the
 * expectation spelled out with its rule; sizes and durations in octets and milliseconds.
 *
 *   file ─► readContent ─► scenarioFileSchema ─► names unique? ─► Suite { name, protocol, scenarios }
 */
import { basename, extname, resolve } from 'node:path';
import type { Expect, FtpScenario, Protocol, Scenario, SmtpScenario } from '../engine/types.js';
import type { Suite } from '../../suites/types.js';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';
import { fileProblem, schemaProblem } from './problem.js';
import { type FileContent, readContent } from './read.js';
import { type ScenarioFile, scenarioFileSchema } from './scenario-schema.js';

const WHAT = 'scenario file';
/** A scenario's message or file size when the file gives none. */
export const DEFAULT_SIZE = 64 * 1024;

/** The rule a short `expect` stands for, per protocol, with its source. */
const RULES: Readonly<Record<Protocol, Readonly<Record<Expect['client'], string>>>> = {
  smtp: {
    fails: 'RFC 5321 §3.8: a connection lost before the final 250 is a temporary failure, to be reported, never a success',
    delivers: 'RFC 5321 §4.1.1.4: the 250 after the dot is the server taking responsibility for the message; it is delivered exactly once',
    accounts: 'RFC 5321 §3.8, §4.2.3: each message is reported delivered and held once, or reported failed; nothing acknowledged is lost or sent twice',
  },
  ftp: {
    fails: 'RFC 959 §4.2: only a 2xx (226) after the transfer command says it succeeded; a transfer cut before it must be reported as failed',
    delivers: 'RFC 959 §4.1.3, §4.2: the 226 says the file is stored; the transfer completes, byte for byte',
    accounts: 'RFC 959 §4.2: each transfer reported complete is intact at the receiving end, the rest are reported failed',
  },
};

type FileScenario = ScenarioFile['scenarios'][number];

/**
 * The suite in `file` (relative to `cwd`). A bad file is one UsageError line naming the file, the path
 * inside it and the problem.
 */
export async function loadScenarioFile(file: string, cwd: string): Promise<Suite> {
  const path = resolve(cwd, file);
  return suiteOf(await readContent(path, file, WHAT), file, basename(path, extname(path)).replace(/[^\w.-]+/g, '-'));
}

/** The suite a file's content describes; `shown`: the file as the user named it; `fallback`: the suite name when it gives none. */
export function suiteOf(content: FileContent, file: string, fallback: string): Suite {
  const checked = scenarioFileSchema.safeParse(content.data);
  if (!checked.success) throw schemaProblem(WHAT, file, content, checked.error);
  const parsed = checked.data;
  const seen = new Map<string, number>();
  parsed.scenarios.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) throw fileProblem(WHAT, file, content, ['scenarios', i, 'name'], `${quote(s.name)} is used twice (also scenarios[${first}])`);
    seen.set(s.name, i);
  });
  const name = parsed.name ?? fallback;
  const scenarios = parsed.scenarios.map((s) => scenarioOf(name, parsed.protocol, s));
  return { name, protocol: parsed.protocol, description: parsed.description ?? `scenarios from ${basename(file)}`, scenarios };
}

/** The suites in `files`, each suite's name once (two files with one name would mix their ids). */
export async function loadScenarioFiles(files: readonly string[], cwd: string): Promise<Suite[]> {
  const suites: Suite[] = [];
  for (const file of files) {
    const suite = await loadScenarioFile(file, cwd);
    const other = suites.findIndex((s) => s.name === suite.name);
    if (other !== -1) throw new UsageError(`bad ${WHAT} ${quote(file)}: suite name ${quote(suite.name)} is also the name of ${quote(files[other]!)}'s suite`);
    suites.push(suite);
  }
  return suites;
}

function scenarioOf(suite: string, protocol: Protocol, s: FileScenario): Scenario {
  const client = typeof s.expect === 'object' ? s.expect.client : (s.expect ?? (s.fault ? 'fails' : 'delivers'));
  const expect: Expect = { client, rule: typeof s.expect === 'object' ? s.expect.rule : RULES[protocol][client] };
  const timeouts = s.timeouts && Object.fromEntries(Object.entries(s.timeouts).filter(([, v]) => v !== undefined));
  const base = {
    id: `${suite}/${s.name}`,
    suite,
    title: s.title ?? s.name,
    ...(s.fault ? { fault: s.fault } : {}),
    expect,
    messageBytes: s.size ?? DEFAULT_SIZE,
    ...(timeouts ? { timeouts } : {}),
    ...(s.schedule ? { schedule: s.schedule } : {}),
    ...(s.outcomes ? { pinned: s.outcomes } : {}),
  };
  const knobs = s.server && {
    ...(s.server.maxSessions !== undefined ? { maxSessions: s.server.maxSessions } : {}),
    ...(s.server.greetingDelay !== undefined ? { greetingDelayMs: s.server.greetingDelay } : {}),
  };
  if (protocol === 'ftp') {
    const f = s as Extract<FileScenario, { ftp?: unknown }>;
    const server = f.server && {
      ...knobs,
      ...(f.server.maxPerAddress !== undefined ? { maxPerAddress: f.server.maxPerAddress } : {}),
      ...(f.server.idleTimeout !== undefined ? { idleTimeoutMs: f.server.idleTimeout } : {}),
      ...(f.server.active ? { active: f.server.active } : {}),
      ...(f.server.requireTlsReuse !== undefined ? { requireTlsReuse: f.server.requireTlsReuse } : {}),
      ...(f.server.protP ? { protP: f.server.protP } : {}),
      ...(f.server.requireTls !== undefined ? { requireTls: f.server.requireTls } : {}),
      ...(f.server.ftps ? { ftps: f.server.ftps } : {}),
    };
    const { direction = 'upload', ...transfer } = f.ftp ?? {};
    const scenario: FtpScenario = {
      ...base,
      protocol: 'ftp',
      ftp: { direction, ...transfer },
      ...(server ? { server } : {}),
      ...(f.tls ? { tls: f.tls } : {}),
    };
    return scenario;
  }
  const m = s as Extract<FileScenario, { sends?: unknown }>;
  const server = m.server && {
    ...knobs,
    ...(m.server.sizeLimit !== undefined ? { sizeLimit: m.server.sizeLimit } : {}),
    ...(m.server.chunking ? { chunking: m.server.chunking } : {}),
  };
  const sends = m.sends && {
    count: m.sends.count,
    mode: m.sends.mode ?? 'sequential',
    ...(m.sends.gap !== undefined ? { gapMs: m.sends.gap } : {}),
    ...(m.sends.connections !== undefined ? { connections: m.sends.connections } : {}),
  };
  const scenario: SmtpScenario = {
    ...base,
    protocol: 'smtp',
    ...(m.message ? { message: m.message } : {}),
    ...(server ? { server } : {}),
    ...(sends ? { sends } : {}),
    ...(m.needs ? { needs: m.needs } : {}),
    ...(m.tls ? { tls: m.tls } : {}),
    ...(m.certificate ? { certificate: m.certificate } : {}),
    ...(m.tlsVersion ? { tlsVersion: m.tlsVersion } : {}),
  };
  return scenario;
}
