/**
 * Prints what `wireprobe probe` finds on each real server as its launcher configures it, one row per
 * finding, in the shape of test/probe/known-results.ts. A maintainer runs it after a change to the
 * probe or the launchers, checks each changed row against its RFC, and updates the table by hand.
 *
 *   node --import tsx scripts/known-results.ts [SERVER...]
 */
import { REAL_SERVERS } from '../servers/real/index.js';
import { KNOWN_RESULTS, probeKnown } from '../test/probe/known-results.js';

const wanted = process.argv.slice(2);
for (const launcher of REAL_SERVERS) {
  if (wanted.length > 0 && !wanted.includes(launcher.name)) continue;
  const known = KNOWN_RESULTS[launcher.name];
  const started = Date.now();
  const report = await probeKnown(launcher, known);
  console.log(`// ${launcher.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of report.findings) {
    console.log(`  { id: ${JSON.stringify(f.id)}, status: ${JSON.stringify(f.status)}, value: ${JSON.stringify(f.value)} }, // ${f.advice}`);
  }
}
