/**
 * Rewrites the fault table in README.md (between `<!-- faults:start -->` and `<!-- faults:end -->`)
 * from the registered fault descriptors; test/faults/table.test.ts fails until it has been run.
 *
 *   node --import tsx scripts/fault-table.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { faultMarkdown, withTable } from '../src/faults/table.js';

const path = new URL('../README.md', import.meta.url);
const updated = withTable(readFileSync(path, 'utf8'), faultMarkdown());
if (updated === undefined) {
  console.error('README.md has no <!-- faults:start --> ... <!-- faults:end --> markers');
  process.exit(1);
}
writeFileSync(path, updated);
