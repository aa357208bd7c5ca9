/**
 * The known-results table: `wireprobe probe` against each real server with its launcher's
 * configuration must give exactly the findings in test/probe/known-results.ts, and the README must
 * print that table. A finding that changes fails here until the row is updated and justified.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { REAL_SERVERS } from '../../servers/real/index.js';
import { KNOWN_RESULTS, probeKnown, renderKnownResults } from './known-results.js';

describe('known results of wireprobe probe on real servers', () => {
  // Exim answers no bare-LF look-alike, so each costs a full --timeout (5 s): about 30 s of waits.
  for (const launcher of REAL_SERVERS) {
    it(`finds on ${launcher.name} exactly the rows of its known-results table`, { timeout: 180_000 }, async () => {
      const known = KNOWN_RESULTS[launcher.name];
      const report = await probeKnown(launcher, known);
      const got = report.findings.map((f) => {
        const row = known.rows.find((r) => r.id === f.id);
        return { id: f.id, status: f.status, ...(row && 'value' in row ? { value: f.value } : {}) };
      });
      const want = known.rows.map((r) => ({ id: r.id, status: r.status, ...('value' in r ? { value: r.value } : {}) }));
      expect(got).toEqual(want);
    });
  }

  it('is printed in the README, row for row', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /<!-- known-results:start -->\n([\s\S]*?)<!-- known-results:end -->/.exec(readme);
    expect(section?.[1]).toBe(renderKnownResults());
  });
});
