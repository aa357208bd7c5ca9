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
 * A cell whose outcome is timing the client controls (a reply racing the client's QUIT; lftp's resume
 * that now and then sends a stale block): each measured possibility, none other, each explained where
 * it is used.
 */
export interface OneOf {
  readonly oneOf: readonly Want[];
}

export function oneOf(...wants: Want[]): OneOf {
  return { oneOf: wants };
}

function fits(want: Want, got: Want): boolean {
  return want.every((x, i) => x === got[i]);
}

/** `got` when it fits `want` or one of a OneOf's alternatives, else `want` (so the diff shows it). */
export function settle(want: Want | OneOf | undefined, got: Want): Want | OneOf | undefined {
  if (!want) return want;
  const wants = 'oneOf' in want ? want.oneOf : [want];
  return wants.some((w) => fits(w, got)) ? got : want;
}

/**
 * lftp 4.9.2 resuming (REST) on its own now and then sends one stale 64 KiB read-ahead block at the restart
 * offset: the right size, the wrong content, reported success (see ftp-uploads.expect.ts). The
 * `deviation hashes` invariant checks that every such deviation carries both hashes.
 */
export const LFTP_STALE_BLOCK: Want = ['delivered', 'site', 'deviates'];

/**
 * FTP: `want` in every client/mode column (`n/a` where the client lacks the mode, basic-ftp's active),
 * except the columns in `differs`.
 */
export function every(want: Want, differs: Readonly<Record<string, Want>> = {}): Readonly<Record<string, Want>> {
  const ftp = CLIENTS.filter((c): c is FtpClientAdapter => c.protocol === 'ftp');
  const cells = ftp.flatMap((c) => (['passive', 'active'] as const).map((mode) => [`${c.name}/${mode}`, c.modes.includes(mode) ? want : NA] as const));
  return { ...Object.fromEntries(cells), ...differs };
}
