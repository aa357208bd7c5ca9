/** An expected result: the outcome's kind and phase, and the verdict. */
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
