import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksClient } from '../../src/clients/swaks.js';
import type { ClientAdapter, SmtpClientAdapter, SmtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { MemoryBudget, weightOf } from '../../src/engine/memory-budget.js';
import { runScenarios } from '../../src/engine/run.js';
import type { FtpScenario, SmtpScenario } from '../../src/engine/types.js';

const KiB = 1024;

describe('MemoryBudget', () => {
  it('lets runs in while they fit, in the order they asked; one larger than the budget runs alone', async () => {
    const budget = new MemoryBudget(100);
    const order: string[] = [];
    const take = (name: string, bytes: number) => budget.take(bytes).then((release) => (order.push(name), release!));
    const a = await take('a', 60);
    const waiting = [take('b', 60), take('huge', 500), take('c', 10)];
    expect(order).toEqual(['a']); // c would fit, but waits behind b: first come, first served
    a();
    const b = await waiting[0]!;
    expect(order).toEqual(['a', 'b']);
    b();
    const huge = await waiting[1]!;
    expect(order).toEqual(['a', 'b', 'huge']); // alone: nothing else held
    huge();
    (await waiting[2]!)();
    expect(order).toEqual(['a', 'b', 'huge', 'c']);
  });

  it('gives up a wait when the signal aborts, and lets the next one in', async () => {
    const budget = new MemoryBudget(100);
    const held = (await budget.take(80))!;
    const stop = new AbortController();
    const aborted = budget.take(50, stop.signal);
    const next = budget.take(20);
    stop.abort();
    expect(await aborted).toBeUndefined();
    expect(await next).toBeTypeOf('function');
    held();
  });

  it('weighs a run by the content it holds whole: every message it sends, every file it moves at once; none when it streams', () => {
    const smtp = { protocol: 'smtp', messageBytes: 1000, sends: { count: 3, mode: 'parallel' } } as SmtpScenario;
    const ftp = { protocol: 'ftp', messageBytes: 1000, ftp: { direction: 'upload', parallel: 4 } } as FtpScenario;
    const module = { holdsContent: Number.POSITIVE_INFINITY } as ClientAdapter;
    const streams = {} as ClientAdapter;
    expect([
      weightOf({ scenario: smtp, client: module }),
      weightOf({ scenario: ftp, client: module }),
      weightOf({ scenario: { ...ftp, ftp: { direction: 'upload' } }, client: module }),
    ]).toEqual([3000, 4000, 1000]);
    // Streamed to the server (whichever: a real MTA's mailbox is compared a piece at a time): nothing whole.
    expect([weightOf({ scenario: smtp, client: streams }), weightOf({ scenario: ftp, client: streams })]).toEqual([0, 0]);
    // smtplib's script and swaks read the message whole in their own processes.
    expect([weightOf({ scenario: smtp, client: smtplibClient }), weightOf({ scenario: smtp, client: swaksClient })]).toEqual([3000, 3000]);
  });

  it('keeps runs whose content does not fit together from running at once', async () => {
    let inFlight = 0;
    let most = 0;
    // A client given its content whole, as a client module is.
    const counting: SmtpClientAdapter = {
      ...nodemailerPlain,
      holdsContent: Number.POSITIVE_INFINITY,
      run: async (job: SmtpJob, signal: AbortSignal) => {
        most = Math.max(most, ++inFlight);
        try {
          return await nodemailerPlain.run(job, signal);
        } finally {
          inFlight--;
        }
      },
    };
    const scenarios: SmtpScenario[] = [1, 2, 3, 4].map((n) => ({
      id: `test/budget/n${n}`,
      suite: 'test/budget',
      protocol: 'smtp',
      title: 'a send',
      expect: { client: 'delivers', rule: 'RULE' },
      messageBytes: 600 * KiB,
    }));
    const results = await runScenarios(scenarios, [counting], { targets: builtinTargets(), concurrency: 4, memoryBudget: 1024 * KiB });
    expect(results.map((r) => r.verdict)).toEqual(['conformant', 'conformant', 'conformant', 'conformant']);
    expect(most).toBe(1);
  });
});
