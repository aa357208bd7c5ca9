/**
 * runScenarios bound to the vitest test that starts it. When vitest gives up on the test (its timeout,
 * --bail, Ctrl-C), the test context's signal aborts: the run stops starting runs and cuts those in
 * flight (clients killed, servers and proxies closed, RunOptions.signal). The test is finished only
 * once the run has ended, so a timed-out test's servers and clients do not load the machine under the
 * tests after it.
 */
import type { TestContext } from 'vitest';
import type { ClientAdapter } from '../../src/clients/types.js';
import { type RunOptions, runScenarios } from '../../src/engine/run.js';
import type { Result, Scenario } from '../../src/engine/types.js';

/**
 * runScenarios(scenarios, clients, options) cut by `test`'s signal, awaited by the test's end
 * (onTestFinished) whether it passed, failed or timed out. `options.signal`, if given, cuts it too.
 */
export function runInTest(
  test: Pick<TestContext, 'signal' | 'onTestFinished'>,
  scenarios: readonly Scenario[],
  clients: readonly ClientAdapter[],
  options: RunOptions,
): Promise<Result[]> {
  const signal = options.signal ? AbortSignal.any([options.signal, test.signal]) : test.signal;
  const run = runScenarios(scenarios, clients, { ...options, signal });
  // Its failure, if any, is the test's own (it awaits the same promise): here only its end counts.
  test.onTestFinished(() =>
    run.then(
      () => undefined,
      () => undefined,
    ),
  );
  return run;
}
