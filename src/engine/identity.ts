/**
 * What says which run a result is (scenario, client, mode, server), and the results of runs that never
 * happened. Pure: the reports read columns from here and the results, never from the runner.
 */
import type { ClientAdapter, FtpMode } from '../clients/types.js';
import type { Family, Result, Scenario } from './types.js';
import { formatPin } from './verdict.js';
import { tlsSuffix, type TlsVariant } from './tls-variant.js';
import { isWireprobeError } from '../util/errors.js';

export const MOCK_SERVERS = { smtp: 'mock-smtp', ftp: 'mock-ftp' } as const;

/**
 * The column a run sits in: the client, for FTP its mode (`curl/active`), over IPv6 `/ipv6`
 * (`curl/active/ipv6`), in a TLS variant `/starttls` or `/tls` (`curl/tls`, `curl/starttls/ipv6`), and
 * against a real server that server (`curl/active@vsftpd`).
 */
export function columnOf(client: string, mode?: FtpMode, server?: string, family?: Family, tls?: TlsVariant): string {
  const column = `${mode ? `${client}/${mode}` : client}${tlsSuffix(tls)}${family === 6 ? '/ipv6' : ''}`;
  // Results against a mock (`mock-smtp`, `mock-ftp`) keep the plain column.
  return server && !server.startsWith('mock') ? `${column}@${server}` : column;
}

/** Which run: one scenario, one client (FTP: in one mode), one server. */
export interface RunOf {
  readonly scenario: Scenario;
  readonly client: ClientAdapter;
  readonly mode?: FtpMode;
  /** Default: the protocol's mock. */
  readonly server?: string;
  /** The family the client reaches the proxy over; default 4, and no `family` in the result. */
  readonly family?: Family;
  /** The TLS variant (`--tls`, src/engine/tls-variant.ts); none: the scenario as written, and no `tls` in the result. */
  readonly tls?: TlsVariant;
}

/** The fields of a result that say what ran. */
export function identity({ scenario, client, mode, server, family, tls }: RunOf) {
  const on = server ?? MOCK_SERVERS[scenario.protocol];
  const column = columnOf(client.name, mode, on, family, tls);
  return {
    id: `${scenario.id}/${column}`,
    scenarioId: scenario.id,
    column,
    suite: scenario.suite,
    protocol: scenario.protocol,
    client: client.name,
    ...(mode ? { mode } : {}),
    ...(family ? { family } : {}),
    ...(tls ? { tls } : {}),
    server: on,
    title: scenario.title,
    fault: scenario.fault ?? null,
    expected: pinnedText(scenario, client.name, mode) ?? ((mode && scenario.protocol === 'ftp' && scenario.ftp.expect?.[mode]?.rule) || scenario.expect.rule),
  };
}

/** `pinned reset@data` when the user pinned this client's outcome (FTP: per mode first), else undefined. */
function pinnedText(scenario: Scenario, client: string, mode?: FtpMode): string | undefined {
  const pin = (mode && scenario.pinned?.[`${client}/${mode}`]) || scenario.pinned?.[client];
  return pin && `pinned ${formatPin(pin)}`;
}

/** The result for a run that cannot happen here; it neither passes nor fails. */
export function notApplicable(run: RunOf, reason: string): Result {
  return { ...identity(run), faultFired: false, outcome: null, sink: null, verdict: 'n/a', reason, durationMs: 0, transcript: [] };
}

/**
 * The result for a run wireprobe itself failed at, or a client module crashed in (ECLIENTCRASH: its
 * message names the module and what it left uncaught, src/clients/module-guard.ts).
 */
export function failed(run: RunOf, error: unknown, started: number): Result {
  const crash = isWireprobeError(error) && error.code === 'ECLIENTCRASH';
  const reason = crash ? error.message : `wireprobe failed: ${(error as Error).message}`;
  return {
    ...identity(run),
    faultFired: false,
    outcome: null,
    sink: null,
    verdict: 'error',
    reason,
    durationMs: Math.round(performance.now() - started),
    transcript: [],
  };
}
