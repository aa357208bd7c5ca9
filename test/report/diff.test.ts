import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { renderDiffHtml } from '../../src/report/diff-html.js';
import { diffResults, differs, formatDiff, outcomeKey } from '../../src/report/diff-results.js';
import type { LoadedReport } from '../../src/report/merge-read.js';
import { resetCell } from '../helpers/located.js';

/** A result of `scenario` with nodemailer; `over` replaces fields. */
const cell = (scenario: string, over: Partial<Result> = {}): Result => resetCell(scenario, 'nodemailer', over);

const before = [cell('a'), cell('b'), cell('c'), cell('gone')];
const after = [
  cell('a', { durationMs: 999, reason: 'other words', transcript: ['x'] }),
  cell('b', { verdict: 'deviates' }),
  cell('c', { outcome: { kind: 'reply', phase: 'rcpt', code: 452, bytesSent: 0 } }),
  cell('new'),
];

describe('diffResults', () => {
  it('lists cells whose outcome or verdict changed and cells only one run has, not durations or wording', () => {
    const d = diffResults(before, after, ['node: "v20" vs "v22"']);
    expect(d.cells).toBe(5);
    expect(d.changed).toEqual([
      { id: 'smtp/resets/b/nodemailer', before: { outcome: 'reset@rcpt', verdict: 'conformant' }, after: { outcome: 'reset@rcpt', verdict: 'deviates' } },
      { id: 'smtp/resets/c/nodemailer', before: { outcome: 'reset@rcpt', verdict: 'conformant' }, after: { outcome: 'reply 452@rcpt', verdict: 'conformant' } },
    ]);
    expect(d.onlyBefore.map((c) => c.id)).toEqual(['smtp/resets/gone/nodemailer']);
    expect(d.onlyAfter.map((c) => c.id)).toEqual(['smtp/resets/new/nodemailer']);
    expect(differs(d)).toBe(true);
  });

  it('finds nothing between a run and itself', () => {
    const d = diffResults(before, before);
    expect(differs(d)).toBe(false);
    expect(formatDiff(d, { before: 'a.json', after: 'b.json' })).toBe('no cell differs (4 cells)\n');
  });

  it('can leave cells only the before run has out of the verdict (a baseline with more cells than this run)', () => {
    const d = diffResults(before, before.slice(0, 2));
    expect(differs(d)).toBe(true);
    expect(differs(d, true)).toBe(false);
  });

  it('compares the phase of a delivery and the code of a reply', () => {
    expect(outcomeKey({ kind: 'delivered', phase: 'quit', bytesSent: 1 })).toBe('delivered@quit');
    expect(outcomeKey({ kind: 'reply', phase: 'dot', code: 552, bytesSent: 1 })).toBe('reply 552@dot');
    expect(outcomeKey({ kind: 'closed', phase: 'greeting', byClient: true, bytesSent: 0 })).toBe('closed@greeting by the client');
    expect(outcomeKey({ kind: 'closed', phase: 'greeting', bytesSent: 0 })).toBe('closed@greeting');
    expect(outcomeKey(null)).toBe('-');
  });
});

describe('formatDiff', () => {
  it('says how the environments differ, a line per cell, then the counts', () => {
    const text = formatDiff(diffResults(before, after, ['node: "v20" vs "v22"']), { before: 'a.json', after: 'b.json' });
    expect(text.split('\n')).toEqual([
      'environments differ: node: "v20" vs "v22"',
      'changed  smtp/resets/b/nodemailer     reset@rcpt conformant -> reset@rcpt deviates',
      'changed  smtp/resets/c/nodemailer     reset@rcpt conformant -> reply 452@rcpt conformant',
      'only in a.json  smtp/resets/gone/nodemailer  reset@rcpt conformant',
      'only in b.json  smtp/resets/new/nodemailer   reset@rcpt conformant',
      '4 of 5 cells differ: 2 changed, 1 only in a.json, 1 only in b.json',
      '',
    ]);
  });
});

describe('renderDiffHtml', () => {
  const report = (file: string, results: readonly Result[]): LoadedReport => ({ file, version: '1.0.0', blob: false, results });

  it('is one self-contained page with the changed and lone cells, everything escaped', () => {
    const evil = cell('<script>', { verdict: 'error' });
    const html = renderDiffHtml(diffResults([...before, evil], [...after, { ...evil, verdict: 'n/a' }], ['os: "<b>" vs "x"']), {
      before: report('a<1>.json', before),
      after: report('b.json', after),
      generatedAt: new Date(0),
    });
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<script>');
    expect(html).toContain('smtp/resets/&lt;script&gt;/nodemailer');
    expect(html).toContain('<li>os: &quot;&lt;b&gt;&quot; vs &quot;x&quot;</li>');
    expect(html).toContain('<td class="cell v-na">reset@rcpt n/a</td>');
    expect(html).toContain('5 of 6 cells differ.');
    expect(html).toContain('id="only-before"');
    expect(html).toContain('Only in a&lt;1&gt;.json');
  });
});
