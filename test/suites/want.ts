/** An expected result: the outcome's kind and phase, and the verdict. */
import { CLIENTS } from '../../src/clients/index.js';
import type { FtpClientAdapter } from '../../src/clients/types.js';
import type { OutcomeKind, Verdict } from '../../src/engine/types.js';

export type Want = readonly [kind: OutcomeKind | undefined, phase: string | undefined, verdict: Verdict];

/** A scenario the client cannot express: no outcome at all. */
export const NA: Want = [undefined, undefined, 'n/a'];

/** For one suite: the expectation for a scenario id and client name, undefined when there is none. */
export type Expectations = (scenarioId: string, client: string) => Want | OneOf | undefined;

/**
 * A client whose outcome depends on timing it controls (lftp's own retry loop, which restarts its
 * count after progress; a reply racing the client's QUIT): each measured possibility, none other.
 */
export interface OneOf {
  readonly oneOf: readonly Want[];
}

export function oneOf(...wants: Want[]): OneOf {
  return { oneOf: wants };
}

/** `want` itself, or for a OneOf the alternative equal to `got` (else the OneOf, so the diff shows it). */
export function settle(want: Want | OneOf | undefined, got: Want): Want | OneOf | undefined {
  if (!want || !('oneOf' in want)) return want;
  return want.oneOf.find((w) => w.every((x, i) => x === got[i])) ?? want;
}

/** Where a reconnecting lftp can be when it gives up: anywhere in its login, setup and transfer. */
export const LFTP_PHASES = ['connect', 'greeting', 'feat', 'user', 'pass', 'pwd', 'type', 'pasv', 'port', 'epsv', 'eprt', 'rest', 'size', 'stor', 'transfer', 'abor', 'site'];

/** A self-retrying client's last attempt ending in a reported failure (a close, an RST, a timeout), at any phase. */
export const FAILED_ANYWHERE: readonly Want[] = (['closed', 'reset', 'timeout'] as const).flatMap((kind) =>
  LFTP_PHASES.map((phase): Want => [kind, phase, 'conformant']),
);

/** lftp reconnected and resumed (SIZE, REST) until the whole file was at the server intact: judgeFtp's "recovered". */
export const LFTP_RECOVERED: Want = ['delivered', 'site', 'conformant'];

/**
 * lftp 4.9.2 resuming on its own now and then sends one stale 64 KiB read-ahead block at the restart
 * offset: the right size, the wrong content, reported success (see ftp-uploads.expect.ts). The suite
 * test checks that every such deviation carries both hashes.
 */
export const LFTP_STALE_BLOCK: Want = ['delivered', 'site', 'deviates'];

/** lftp still reconnecting at the runner's deadline (it can loop for minutes), wherever its last attempt was. */
export const LFTP_HUNG: readonly Want[] = LFTP_PHASES.map((phase): Want => ['hung', phase, 'deviates']);

/**
 * FTP: `want` in every client/mode column (`n/a` where the client lacks the mode, basic-ftp's active),
 * except the columns in `differs`.
 */
export function every(want: Want, differs: Readonly<Record<string, Want>> = {}): Readonly<Record<string, Want>> {
  const ftp = CLIENTS.filter((c): c is FtpClientAdapter => c.protocol === 'ftp');
  const cells = ftp.flatMap((c) => (['passive', 'active'] as const).map((mode) => [`${c.name}/${mode}`, c.modes.includes(mode) ? want : NA] as const));
  return { ...Object.fromEntries(cells), ...differs };
}
