/** An expected result: the outcome's kind and phase, and the verdict. */
import type { OutcomeKind, Verdict } from '../../src/engine/types.js';

export type Want = readonly [kind: OutcomeKind, phase: string, verdict: Verdict];

/** For one suite: the expectation for a scenario id and client name, undefined when there is none. */
export type Expectations = (scenarioId: string, client: string) => Want | undefined;
