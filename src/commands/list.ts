/** `wireprobe list`: suites and scenarios, with their faults and what a conformant client does; clients; fault kinds. */
import { formatFault } from '../faults/format.js';
import { faultLines } from '../faults/table.js';
import type { Suite } from '../../suites/index.js';
import { CLIENTS, OPT_IN_CLIENTS } from '../clients/index.js';

/** Writes the listing of `suites` to `out`. */
export function listSuites(suites: readonly Suite[], out: NodeJS.WritableStream): void {
  for (const suite of suites) {
    out.write(`${suite.name}  (${suite.scenarios.length} scenarios): ${suite.description}\n`);
    const width = Math.max(...suite.scenarios.map((s) => s.id.length));
    for (const s of suite.scenarios) {
      const fault = s.fault ? formatFault(s.fault) : 'no fault';
      out.write(`  ${s.id.padEnd(width)}  ${fault.padEnd(34)}  client ${s.expect.client}\n`);
    }
    out.write('\n');
  }
  out.write('clients:\n');
  for (const c of CLIENTS) out.write(`  ${c.name.padEnd(16)} ${c.protocol}  ${c.description}\n`);
  for (const c of OPT_IN_CLIENTS) out.write(`  ${c.name.padEnd(16)} ${c.protocol}  ${c.description} (only when named)\n`);
  out.write('\nfaults (--fault KIND [ARGS] [AT] [OPTIONS]):\n');
  for (const line of faultLines()) out.write(`${line}\n`);
}
