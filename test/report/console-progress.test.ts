/** The time left on long runs and the run's last line, with a clock the test moves by hand. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { createConsoleReporter, ETA_AFTER_MS, finalLine, formatDuration, PROGRESS_EVERY_MS } from '../../src/report/console.js';
import { located } from '../helpers/located.js';

function result(name: string, verdict: Result['verdict'] = 'conformant'): Result {
  return located({
    id: `smtp/resets/${name}/nodemailer`,
    suite: 'smtp/resets',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock-smtp',
    title: name,
    fault: null,
    faultFired: true,
    outcome: { kind: 'delivered', phase: 'dot', bytesSent: 10 },
    sink: null,
    expected: 'delivers',
    verdict,
    reason: '',
    durationMs: 1,
    transcript: [],
  });
}

/** A reporter over a hand-moved clock; returns what it wrote since the last call. */
function reporter(live: boolean) {
  const out = new PassThrough();
  const clock = { ms: 0 };
  const console = createConsoleReporter(out, { color: false, live, now: () => clock.ms });
  const read = (): string => String(out.read() ?? '');
  return { console, clock, read };
}

describe('progress with the time left', () => {
  it('shows no time left on a live line while the run is short', () => {
    const { console, clock, read } = reporter(true);
    console.start(4);
    clock.ms = ETA_AFTER_MS - 1;
    console.result(result('a'));
    expect(read()).toBe('\r[1/4] smtp/resets/a/nodemailer  conformant');
  });

  it('shows the time left on a live line once the run is long, from the pace so far', () => {
    const { console, clock, read } = reporter(true);
    console.start(10);
    clock.ms = 20_000;
    console.result(result('a'));
    console.result(result('b'));
    // 2 done in 20 s: 10 s each, 8 to go.
    expect(read()).toContain('[2/10, ~1m20s left] smtp/resets/b/nodemailer  conformant');
  });

  it('prints a progress line to a log every PROGRESS_EVERY_MS of a long run, none for the last result', () => {
    const { console, clock, read } = reporter(false);
    console.start(4);
    clock.ms = PROGRESS_EVERY_MS - 1;
    console.result(result('a'));
    expect(read()).toBe('');
    clock.ms = PROGRESS_EVERY_MS;
    console.result(result('b'));
    expect(read()).toBe('2/4 done in 30s, about 30s left\n');
    clock.ms = PROGRESS_EVERY_MS + 1;
    console.result(result('c'));
    expect(read()).toBe('');
    clock.ms = 10 * PROGRESS_EVERY_MS;
    console.result(result('d'));
    expect(read()).toBe('');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [44_600, '45s'],
    [125_000, '2m05s'],
    [3_720_000, '1h02m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('finalLine', () => {
  it('names the counts, the shard and every report in one line', () => {
    const line = finalLine([result('a'), result('b', 'deviates'), result('c', 'n/a')], {
      elapsedMs: 65_000,
      shard: { index: 2, count: 4, cells: 12 },
      reports: ['out/a.json', 'out/a.html'],
    });
    expect(line).toBe(
      'wireprobe: 3 results (shard 2/4 of 12 cells) in 1m05s: 1 conformant, 1 deviate, 0 unfired, 0 errors, 1 n/a; reports: out/a.json, out/a.html\n',
    );
  });

  it('says when no report was written', () => {
    expect(finalLine([], { elapsedMs: 0, reports: [] })).toBe(
      'wireprobe: 0 results in 0s: 0 conformant, 0 deviate, 0 unfired, 0 errors; reports: none written\n',
    );
  });
});
