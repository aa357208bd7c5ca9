/**
 * smtp/resets' BDAT scenarios (the mock offers CHUNKING) with a client that sends BDAT chunks
 * (test/helpers/bdat-client.ts; no client in the matrix does): the fault fires in the chunks, and the
 * outcome is exact: a cut before the 250 to BDAT LAST fails, one after it is delivered, once.
 */
import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runInTest } from '../helpers/run-in-test.js';
import { SUITES } from '../../suites/index.js';
import { bdatClient } from '../helpers/bdat-client.js';

const scenarios = SUITES.find((s) => s.name === 'smtp/resets')!.scenarios.filter((s) => s.protocol === 'smtp' && s.needs === 'bdat');

describe('smtp/resets BDAT scenarios', () => {
  it('cut a client that sends BDAT where they say, each with its exact outcome; a client without BDAT is n/a', async (test) => {
    const results = await runInTest(test, scenarios, [bdatClient, nodemailerPlain], { targets: builtinTargets(), concurrency: 4 });
    const cells = Object.fromEntries(
      results.map((r) => [r.id.slice('smtp/resets/'.length), [r.outcome?.kind, r.outcome?.phase, r.verdict, r.sink?.copies, r.faultFired]]),
    );
    expect(cells).toEqual({
      // [kind, phase, verdict, copies at the server, fault fired]
      'reset-bdat-mid-chunks-64k/bdat-test': ['reset', 'bdat', 'conformant', 0, true],
      'reset-bdat-before-last-reply/bdat-test': ['reset', 'bdat', 'conformant', 1, true],
      // An RST waits until the client read the 250: it is at QUIT by then; a FIN goes at once.
      'reset-bdat-after-last-reply/bdat-test': ['delivered', 'quit', 'conformant', 1, true],
      'close-bdat-mid-chunks-64k/bdat-test': ['closed', 'bdat', 'conformant', 0, true],
      'close-bdat-before-last-reply/bdat-test': ['closed', 'bdat', 'conformant', 1, true],
      'close-bdat-after-last-reply/bdat-test': ['delivered', 'bdat', 'conformant', 1, true],
      ...Object.fromEntries(scenarios.map((s) => [`${s.id.slice('smtp/resets/'.length)}/nodemailer`, [undefined, undefined, 'n/a', undefined, false]])),
    });
  }, 60_000);
});
