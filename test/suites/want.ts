/** An expected result: the outcome's kind and phase, and the verdict. */
import type { OutcomeKind, Verdict } from '../../src/engine/types.js';

export type Want = readonly [kind: OutcomeKind | undefined, phase: string | undefined, verdict: Verdict];

/** A scenario the client cannot express: no outcome at all. */
export const NA: Want = [undefined, undefined, 'n/a'];

/** For one suite: the expectation for a scenario id and client name, undefined when there is none. */
export type Expectations = (scenarioId: string, client: string) => Want | undefined;
