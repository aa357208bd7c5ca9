/**
 * What a scenario file may hold (JSON, YAML, or a TypeScript `defineScenarios()`): a suite of the
 * user's scenarios in the built-in suites' vocabulary, sizes and durations as people type them. Unknown
 * keys are refused. src/config/scenarios.ts turns a parsed file into a Suite.
 */
import * as z from 'zod';
import type { Protocol } from '../engine/types.js';
import { duration, faultField, pinField, size, strict, whole } from './fields.js';

/** A scenario's or suite's own name: letters, digits, `.`, `_`, `-` (a suite also `/`). */
const NAME = /^[A-Za-z0-9][\w.-]*$/;
const SUITE_NAME = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)*$/;
/** A client a pin is for: its name (as --client takes it), for FTP optionally with the mode. */
const CLIENT = /^[\w.-]+(\/(passive|active))?$/;

const expectField = z.union(
  [z.enum(['fails', 'delivers', 'accounts']), strict({ client: z.enum(['fails', 'delivers', 'accounts']), rule: z.string().min(1) })],
  {
    error: 'expected fails, delivers, accounts, or { client, rule }',
  },
);

const timeouts = strict({
  connect: duration(1).optional(),
  greeting: duration(1).optional(),
  socket: duration(1).optional(),
  deadline: duration(1).optional(),
});

/** Knobs both protocols' servers have (src/engine/types.ts ServerKnobs), durations as text. */
const knobs = { maxSessions: whole(1, 10_000).optional(), greetingDelay: duration().optional() };

function common(protocol: Protocol) {
  return {
    name: z.string().regex(NAME, 'expected a name of letters, digits, ".", "_" or "-"'),
    title: z.string().min(1).optional(),
    fault: faultField(protocol).optional(),
    size: size().optional(),
    timeouts: timeouts.optional(),
    expect: expectField.optional(),
    outcomes: z.record(z.string().regex(CLIENT, 'expected a client name, or client/passive or client/active'), pinField(protocol)).optional(),
    schedule: z.enum(['shared', 'apart']).optional(),
  };
}

const smtpScenario = strict({
  ...common('smtp'),
  message: z.enum(['plain', 'dots']).optional(),
  server: strict({ ...knobs, sizeLimit: size().optional(), chunking: z.enum(['on', 'off']).optional() }).optional(),
  sends: strict({
    count: whole(1, 1000),
    mode: z.enum(['parallel', 'sequential']).optional(),
    gap: duration().optional(),
    connections: whole(1, 100).optional(),
  }).optional(),
  needs: z.enum(['pool', 'connection-per-message', 'bdat']).optional(),
  tls: z.enum(['none', 'starttls', 'starttls-verify', 'implicit', 'implicit-verify']).optional(),
  certificate: z.enum(['valid', 'expired', 'wrong-name', 'self-signed']).optional(),
  tlsVersion: z.enum(['1.0']).optional(),
});

const ftpScenario = strict({
  ...common('ftp'),
  server: strict({
    ...knobs,
    maxPerAddress: whole(1, 10_000).optional(),
    idleTimeout: duration(1).optional(),
    active: z.enum(['on', 'off']).optional(),
    requireTlsReuse: z.boolean().optional(),
    protP: z.enum(['accept', 'refuse']).optional(),
    requireTls: z.boolean().optional(),
    ftps: z.enum(['on', 'off']).optional(),
  }).optional(),
  tls: z.enum(['none', 'starttls', 'starttls-verify', 'implicit', 'implicit-verify']).optional(),
  ftp: strict({
    direction: z.enum(['upload', 'download']).optional(),
    modes: z
      .array(z.enum(['passive', 'active']))
      .min(1)
      .optional(),
    resume: z.boolean().optional(),
    parallel: whole(1, 50).optional(),
  }).optional(),
});

const head = { name: z.string().regex(SUITE_NAME, 'expected a suite name such as my/mailer').optional(), description: z.string().optional() };

/** A scenario file: its protocol decides which fields a scenario may have. */
export const scenarioFileSchema = z.discriminatedUnion(
  'protocol',
  [
    strict({ ...head, protocol: z.literal('smtp'), scenarios: z.array(smtpScenario).min(1) }),
    strict({ ...head, protocol: z.literal('ftp'), scenarios: z.array(ftpScenario).min(1) }),
  ],
  { error: 'expected an object with protocol "smtp" or "ftp" and scenarios' },
);

/** A scenario file as written (what `defineScenarios()` takes). */
export type ScenarioFileInput = z.input<typeof scenarioFileSchema>;
/** A scenario file after checking: sizes and durations in numbers, faults and pins parsed. */
export type ScenarioFile = z.output<typeof scenarioFileSchema>;
