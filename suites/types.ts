/** A suite: a named list of scenarios, as data. */
import type { Protocol, Scenario } from '../src/engine/types.js';

export interface Suite {
  /** `protocol/concern`, e.g. `smtp/resets`; also the prefix of every scenario id. */
  readonly name: string;
  readonly protocol: Protocol;
  /** One line on what the suite shows. */
  readonly description: string;
  readonly scenarios: readonly Scenario[];
}
