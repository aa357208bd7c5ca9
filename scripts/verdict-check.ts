/**
 * Checks `wireprobe run --json` reports against the expectations test/suites.test.ts holds the mocks
 * to (test/suites/*.expect.ts): prints every cell on a mock server whose kind, phase and verdict fit
 * none of its expected outcomes, so a run at another concurrency or under load shows which verdicts
 * moved, and whether to a known alternative. Exits 1 when any cell is outside.
 *
 *   node --import tsx scripts/verdict-check.ts REPORT.json [REPORT.json...]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MOCK_SERVERS } from '../src/engine/identity.js';
import type { JsonReport, JsonResult } from '../src/report/json.js';
import { EXPECTATIONS } from '../test/suites/index.js';
import { NA, settle, type Want } from '../test/suites/want.js';

/** `closed rcpt conformant: want ...` for a result outside its expectation, else undefined. */
export function outside(r: JsonResult): string | undefined {
  const scenarioId = r.id.split('/').slice(0, 3).join('/');
  const want = EXPECTATIONS[r.suite]?.(scenarioId, r.mode ? `${r.client}/${r.mode}` : r.client);
  const got: Want = r.outcome ? [r.outcome.kind, r.outcome.phase, r.verdict] : NA;
  return JSON.stringify(settle(want, got)) === JSON.stringify(got) ? undefined : `${got.join(' ')}: want ${JSON.stringify(want)}`;
}

function main(files: readonly string[]): number {
  if (files.length === 0) {
    console.error('usage: node --import tsx scripts/verdict-check.ts REPORT.json [REPORT.json...]');
    return 2;
  }
  let any = false;
  for (const file of files) {
    const mocks: readonly string[] = Object.values(MOCK_SERVERS);
    const results = (JSON.parse(readFileSync(file, 'utf8')) as JsonReport).results.filter((r) => mocks.includes(r.server));
    const lines = results.flatMap((r) => {
      const why = outside(r);
      return why ? [`  ${r.id}: ${why}`] : [];
    });
    console.log(`${file}: ${lines.length} of ${results.length} cells outside their expectation`);
    for (const line of lines) console.log(line);
    any ||= lines.length > 0;
  }
  return any ? 1 : 0;
}

// Run as a script, not when a test imports `outside`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
