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
