/**
 * A module client whose errors carry no codes at all (test/fixtures/clients/raw-smtp-client.mjs: plain
 * Errors, a polite QUIT after a refusal) is classified from the proxy's wire evidence alone: a failure
 * reply the last word is a reply, whatever the client does after it (its QUIT is the phase the proxy
 * saw it reach); an RST is a reset, a FIN closed.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModuleClient } from '../../src/clients/module.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/clients');

function scenario(name: string, fault: Fault): SmtpScenario {
  return {
    id: `test/module-wire/${name}`,
    suite: 'test/module-wire',
    protocol: 'smtp',
    title: name,
    fault,
    expect: { client: 'fails', rule: 'RULE' },
    messageBytes: 4096,
  };
}

describe('a module client that throws errors without codes', () => {
  it('is judged by the wire: a refusal it quit after is a reply at the step refused, an RST a reset, a FIN closed', async () => {
    const refusal = { kind: 'reply', code: 550, text: '5.1.1 no such user', at: { before: 'RCPT' } } as const;
    const scenarios = [
      scenario('refused-rcpt', { ...refusal, then: 'continue' }),
      scenario('refused-rcpt-then-fin', { ...refusal, then: 'close' }),
      scenario('reset-after-mail', { kind: 'reset', at: { after: 'MAIL' } }),
      scenario('close-after-mail', { kind: 'close', at: { after: 'MAIL' } }),
    ];
    const [client] = await loadModuleClient('raw-smtp-client.mjs', FIXTURES);
    const results = await runScenarios(scenarios, [client!], { targets: builtinTargets(), concurrency: 2 });
    expect(results.map((r) => [r.scenarioId.split('/').at(-1), r.outcome?.kind, r.outcome?.code, r.outcome?.phase, r.verdict])).toEqual([
      ['refused-rcpt', 'reply', 550, 'rcpt', 'conformant'],
      ['refused-rcpt-then-fin', 'reply', 550, 'rcpt', 'conformant'],
      ['reset-after-mail', 'reset', undefined, 'rcpt', 'conformant'],
      ['close-after-mail', 'closed', undefined, 'rcpt', 'conformant'],
    ]);
  });
});
