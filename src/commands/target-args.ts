/**
 * `--target` on run and matrix: the user's servers from the command line's values, checked before
 * anything is sent. Against an SMTP target the scenarios deliver real mail, so the envelope is the
 * user's (`--from`, `--rcpt`), the number of messages is said first and capped (`--max-messages`).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Suite } from '../../suites/index.js';
import type { ClientAdapter } from '../clients/types.js';
import { cannotExpress } from '../engine/smtp-run.js';
import { combineTargets, type Targets } from '../engine/targets.js';
import { tlsVariantsOf, withTlsVariant, type TlsVariant } from '../engine/tls-variant.js';
import type { Family, Scenario } from '../engine/types.js';
import { rcptProblem } from '../probe/smtp-session.js';
import { greetTarget, TargetError } from '../probe/target.js';
import { quote, visible } from '../util/terminal.js';
import { families, integer, passwordFrom, tlsVariants } from './args.js';
import { type ExternalTarget, externalTargets, parseTargetOption, type SmtpTargetFacts, smtpNotFor, wantsPassword } from './external-targets.js';
import { factsLine, ftpFacts, REACH_TIMEOUT_MS, smtpFacts } from './target-facts.js';
import { type CliIo, TARGET_OPTIONS, type Values } from './options.js';
import { builtinTargets, type UserConfigs } from './targets.js';
import { UsageError } from '../util/usage-error.js';

/** Messages a run may send to the user's SMTP servers unless `--max-messages` says otherwise. */
export const DEFAULT_MAX_MESSAGES = 25;

/**
 * Messages the runs of `scenarios` x `clients` send to one SMTP target (as first reached: the SIZE it
 * advertised, whether it requires AUTH, or STARTTLS before MAIL, how long it took to greet): each SMTP
 * run that is not `n/a` (a server knob, a message over that limit, a client that cannot express it or
 * cannot log in where it must, one in plain text where STARTTLS is required, client timeouts the
 * greeting comes too close to) sends its `sends.count`. Each run of `variants` counts: a plaintext
 * scenario runs once per `--tls` variant (as that variant, src/engine/tls-variant.ts), every run once per
 * `--family`.
 */
export function plannedMessages(
  scenarios: readonly Scenario[],
  clients: readonly ClientAdapter[],
  target: SmtpTargetFacts = {},
  variants: { readonly tls?: readonly TlsVariant[] | undefined; readonly families?: readonly Family[] | undefined } = {},
): number {
  const perFamily = variants.families?.length || 1;
  let total = 0;
  for (const written of scenarios) {
    for (const { tls } of tlsVariantsOf(written, variants.tls)) {
      const scenario = withTlsVariant(written, tls);
      if (scenario.protocol !== 'smtp' || smtpNotFor(scenario, target)) continue;
      for (const client of clients) {
        if (client.protocol !== 'smtp' || cannotExpress(scenario, client) || (target.authRequired && !client.authenticates)) continue;
        // n/a there (smtp-run): its messages could not be told from others' in the mailbox read.
        if (client.composes && target.maildir !== undefined) continue;
        total += (scenario.sends?.count ?? 1) * perFamily;
      }
    }
  }
  return total;
}

/** An address for `--from` or `--rcpt`, required with an SMTP target. */
function address(flag: 'from' | 'rcpt', text: string | undefined): string {
  if (text === undefined)
    throw new UsageError(`--${flag} is required with an smtp:// --target: the scenarios send real mail (--from you@example.com --rcpt test@example.com)`);
  const problem = rcptProblem(text);
  if (problem) throw new UsageError(`bad --${flag} ${quote(text)}: ${problem}`);
  return text;
}

async function maildir(dir: string): Promise<string> {
  for (const sub of ['new', 'cur']) {
    const info = await stat(join(dir, sub)).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`bad --maildir ${quote(dir)}: it has no ${sub}/ folder (expected a Maildir: new/, cur/, tmp/)`);
  }
  return dir;
}

/**
 * Connects to each target once and reads its greeting: a server that is down would otherwise make
 * every run's client fail at connect, which reads as a conformant "reported the failure" (one line
 * naming it). The greetings, by target name, stand for the servers' versions in the report. What each
 * target imposes is learnt too (./target-facts.ts): its greeting time, an FTP target's refused data
 * modes in that same session, an SMTP target's size limit and AUTH and STARTTLS requirements in one
 * more; the scenarios they rule out are n/a.
 */
async function greetings(list: readonly ExternalTarget[]): Promise<{ readonly greeted: Record<string, string>; readonly list: ExternalTarget[] }> {
  const greeted: Record<string, string> = {};
  const found: ExternalTarget[] = [];
  for (const t of list) {
    try {
      const where = { protocol: t.protocol, host: t.host, port: t.port };
      const { greeting, greetingTime, after } = await greetTarget(
        where,
        REACH_TIMEOUT_MS,
        t.protocol === 'ftp' ? (conn, reply) => ftpFacts(conn, reply, t) : undefined,
      );
      greeted[t.name] = greeting === undefined ? 'no greeting' : `greeting: ${visible(greeting.slice(0, MAX_GREETING))}`;
      const timed = greetingTime ? { greetingTime } : {};
      found.push(t.protocol === 'smtp' ? { ...t, ...timed, ...(await smtpFacts(t)) } : { ...t, ...timed, ...after });
    } catch (error) {
      if (error instanceof TargetError) throw new UsageError(`--target ${quote(t.shown)}: ${error.message}`);
      throw error;
    }
  }
  return { greeted, list: found };
}

/** A greeting longer than this is cut in the report: it names the server, it is not the conversation. */
const MAX_GREETING = 200;

/** The targets of `--target`, with the SMTP options applied; every bad value is a UsageError. */
export async function targetList(values: Values, env: CliIo['env']): Promise<ExternalTarget[]> {
  const texts = values.target ?? [];
  const password = passwordFrom({ env: values['password-env'], file: values['password-file'] }, env);
  if (password !== undefined && !texts.some(wantsPassword)) {
    throw new UsageError('--password-env and --password-file are for a --target that names a user and no password (ftp://bob@host)');
  }
  const parsed = texts.map((text) => parseTargetOption(text, wantsPassword(text) ? password : undefined));
  const builtin = builtinTargets();
  const taken = new Set([...builtin.names('smtp'), ...builtin.names('ftp')]);
  for (const t of parsed) {
    if (taken.has(t.name)) throw new UsageError(`bad --target ${quote(t.shown)}: the name ${quote(t.name)} is taken (give another with NAME=URL)`);
    taken.add(t.name);
  }
  const smtp = parsed.some((t) => t.protocol === 'smtp');
  if (!smtp) {
    const stray = (['from', 'rcpt', 'maildir', 'max-messages'] as const).find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} applies to an smtp:// --target, and none is given`);
    return parsed;
  }
  const envelope = { from: address('from', values.from), to: [address('rcpt', values.rcpt)] };
  const dir = values.maildir === undefined ? undefined : await maildir(values.maildir);
  return parsed.map((t) => (t.protocol === 'smtp' ? { ...t, envelope, ...(dir ? { maildir: dir } : {}) } : t));
}

/**
 * The line saying how many messages go to which SMTP target (none without one); a UsageError naming
 * both numbers when that is over `--max-messages`.
 */
function budget(values: Values, list: readonly ExternalTarget[], suites: readonly Suite[], clients: readonly ClientAdapter[]) {
  const smtp = list.filter((t) => t.protocol === 'smtp');
  if (smtp.length === 0) return undefined;
  const cap = integer('max-messages', values['max-messages'], DEFAULT_MAX_MESSAGES, 0, 1_000_000);
  const scenarios = suites.flatMap((s) => s.scenarios);
  const variants = { tls: tlsVariants(values.tls), families: families(values.family) };
  const each = smtp.map((t) => plannedMessages(scenarios, clients, t, variants));
  const total = each.reduce((a, b) => a + b, 0);
  const where = smtp.map((t, i) => `${each[i]} to ${t.shown}`).join(', ');
  if (total > cap)
    throw new UsageError(`the run would send ${total} messages (${where}), more than --max-messages ${cap}: raise it, or choose fewer suites or clients`);
  return `wireprobe: this run sends ${total} message(s): ${where} (--max-messages ${cap})\n`;
}

/**
 * The servers a run uses with the user's targets among them (and the user's server configs in
 * `configs`): the registry, and the target names to add to the servers named. Says on `io.stderr` how
 * many messages go to which SMTP target, or refuses (a UsageError naming both numbers) when that is
 * over `--max-messages`, before anything is sent.
 */
export async function withTargets(
  values: Values,
  io: CliIo,
  suites: readonly Suite[],
  clients: readonly ClientAdapter[],
  configs: UserConfigs,
): Promise<{ readonly targets: Targets; readonly names: readonly string[]; readonly greetings: Readonly<Record<string, string>> } | undefined> {
  if (values.target === undefined) {
    const stray = TARGET_OPTIONS.find((flag) => flag !== 'target' && values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} applies to --target, and none is given`);
    return undefined;
  }
  const list = await targetList(values, io.env);
  // Refused before any connection, counted as if no target had a size limit (at least what is sent);
  // the line then counts what is sent, the scenarios over a target's SIZE left out.
  budget(values, list, suites, clients);
  const { greeted, list: reached } = await greetings(list);
  const scenarios = suites.flatMap((s) => s.scenarios);
  for (const t of reached) {
    const facts = factsLine(t, scenarios);
    if (facts) io.stderr.write(facts);
  }
  const line = budget(values, reached, suites, clients);
  if (line) io.stderr.write(line);
  return { targets: combineTargets(builtinTargets(configs), externalTargets(reached)), names: list.map((t) => t.name), greetings: greeted };
}
