/**
 * Report fixtures name a result by its id; a real result also carries its row (`scenarioId`) and
 * column, as the runner sets them (src/engine/identity.ts). This fills them in from the id.
 */
import { columnOf } from '../../src/engine/identity.js';
import type { Result } from '../../src/engine/types.js';

/** `result` with `scenarioId` and `column` derived from its id, client, mode and server unless given. */
export function located(result: Omit<Result, 'scenarioId' | 'column'> & Partial<Pick<Result, 'scenarioId' | 'column'>>): Result {
  const column = result.column ?? columnOf(result.client, result.mode, result.server);
  const scenarioId = result.scenarioId ?? result.id.slice(0, result.id.length - column.length - 1);
  return { ...result, scenarioId, column };
}

/** A conformant smtp/resets result of `client` (reset at RCPT) for report tests, with `over` on top. */
export function resetCell(scenario: string, client: string, over: Partial<Result> = {}): Result {
  return located({
    id: `smtp/resets/${scenario}/${client}`,
    suite: 'smtp/resets',
    protocol: 'smtp',
    client,
    server: 'mock-smtp',
    title: scenario,
    fault: null,
    faultFired: true,
    outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0 },
    sink: null,
    expected: 'fails',
    verdict: 'conformant',
    reason: 'reported the failure',
    durationMs: 10,
    transcript: [],
    ...over,
  });
}
