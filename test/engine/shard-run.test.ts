/** runScenarios with a shard's selector: the cells are chosen before anything starts, whatever is installed. */
import { describe, expect, it } from 'vitest';
import { selectClients } from '../../src/commands/select.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { identity } from '../../src/engine/identity.js';
import { runScenarios } from '../../src/engine/run.js';
import { selectCells } from '../../src/engine/shard.js';
import { SUITES } from '../../suites/index.js';

describe('a shard of runScenarios', () => {
  it('holds the same cells whether or not a client is installed here (not installed: n/a, same shard)', async () => {
    const scenarios = SUITES.filter((s) => s.protocol === 'smtp').flatMap((s) => s.scenarios);
    const swaks = selectClients(['swaks'])[0]!;
    // swaks as if its program were missing on this runner: every cell n/a, nothing started.
    const missing = { ...swaks, requires: { command: 'wireprobe-test-no-such-program', install: 'none' } };
    const servers = ['mock-smtp', 'postfix', 'exim'];
    const everywhere = scenarios.flatMap((scenario) => servers.map((server) => ({ scenario, client: swaks, server })));
    for (const index of [1, 2, 3]) {
      const selection = { shard: { index, count: 3 } };
      const started: number[] = [];
      const results = await runScenarios(scenarios, [missing], {
        targets: builtinTargets(),
        servers,
        select: (runs) => selectCells(runs, selection).runs,
        onStart: (n) => started.push(n),
      });
      expect(results.every((r) => r.verdict === 'n/a')).toBe(true);
      expect(results.map((r) => r.id)).toEqual(selectCells(everywhere, selection).runs.map((run) => identity(run).id));
      expect(started).toEqual([results.length]);
    }
  });
});
