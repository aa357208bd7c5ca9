/**
 * What a config file (`wireprobe.config.json|yaml|yml|ts|mjs`, or `--config FILE`) may hold: what
 * `run` and `matrix` take as flags, so a CI job is one file. Unknown keys are refused. Clients and
 * targets are checked for shape here; their meaning (a command template, a module, a URL) is the
 * command line's parsers' to check, as for their flags.
 */
import * as z from 'zod';
import { byShape, strict, whole } from './fields.js';

const text = z.string().min(1);

/** A command client (`--client 'cmd:NAME=TEMPLATE'` as an object): its exit codes map to what they mean. */
const commandClient = strict({
  name: z.string().regex(/^[\w.-]+$/, 'expected a client name of letters, digits, ".", "_" or "-"'),
  protocol: z.enum(['smtp', 'ftp']),
  command: text,
  exitCodes: z
    .record(z.string().regex(/^\d{1,3}$/, 'expected an exit code such as "28"'), z.enum(['timeout', 'reset', 'closed', 'refused', 'reply', 'wire']))
    .optional(),
  modes: z
    .array(z.enum(['passive', 'active']))
    .min(1)
    .optional(),
  directions: z
    .array(z.enum(['upload', 'download']))
    .min(1)
    .optional(),
  message: z.enum(['given', 'own']).optional(),
});

/** A module client (`--client ./my-client.mjs`): a path relative to the config file. */
const moduleClient = strict({ module: text });

/** A running server (`--target URL` as an object); the password never in the file, only where to find it. */
const target = strict({
  url: text,
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'expected a name of letters, digits, ".", "_" or "-"')
    .optional(),
  passwordEnv: text.optional(),
  passwordFile: text.optional(),
  from: text.optional(),
  rcpt: text.optional(),
  maildir: text.optional(),
  maxMessages: whole(1, 100_000).optional(),
});

type ClientInput = string | CommandClientConfig | { module: string };

/** Text as `--client` takes it, a module (`{ module }`), or a command client. */
function clientShape(value: unknown): z.ZodType<string | CommandClientConfig | { module: string }> {
  if (typeof value === 'string') return text;
  return typeof value === 'object' && value !== null && 'module' in value ? moduleClient : commandClient;
}

export const configSchema = strict({
  suites: z.array(text).optional(),
  scenarios: z.array(text).optional(),
  clients: z.array(byShape<ClientInput, string | CommandClientConfig | { module: string }>(clientShape)).optional(),
  targets: z.array(byShape<string | TargetConfig, string | TargetConfig>((v) => (typeof v === 'string' ? text : target))).optional(),
  servers: z.array(text).optional(),
  reports: strict({
    json: text.optional(),
    junit: text.optional(),
    html: text.optional(),
    transcripts: text.optional(),
    pcap: text.optional(),
    keylog: text.optional(),
  }).optional(),
  concurrency: whole(1, 64).optional(),
  failOnDeviation: z.boolean().optional(),
  /** `--family`: 4, 6 or both (a number or text); where the clients reach the proxy. */
  family: z.union([z.literal(4), z.literal(6), z.enum(['4', '6', 'both'])], { error: 'expected 4, 6 or both' }).optional(),
  /** `--tls`: the TLS variants plaintext SMTP scenarios run in (src/engine/tls-variant.ts). */
  tls: z.enum(['none', 'starttls', 'implicit', 'all'], { error: 'expected none, starttls, implicit or all' }).optional(),
});

/** A config file as written (what `defineConfig()` takes). */
export type ConfigInput = z.input<typeof configSchema>;
export type CommandClientConfig = z.output<typeof commandClient>;
export type TargetConfig = z.output<typeof target>;
