/** `wireprobe list`: suites and scenarios, with their faults and what a conformant client does; clients; fault kinds. */
import { formatFault } from '../faults/format.js';
import { faultLines } from '../faults/table.js';
import type { Suite } from '../../suites/index.js';
import { CLIENTS, OPT_IN_CLIENTS } from '../clients/index.js';
import { visible } from '../util/terminal.js';

/**
 * Writes the listing of `suites` to `out`. A scenario file's text (its description, a fault's reply
 * text) is the user's, printed to a terminal: escaped (`visible`) like a peer's.
 */
export function listSuites(suites: readonly Suite[], out: NodeJS.WritableStream): void {
  for (const suite of suites) {
    out.write(`${visible(suite.name)}  (${suite.scenarios.length} scenarios): ${visible(suite.description)}\n`);
    const ids = suite.scenarios.map((s) => visible(s.id));
    const width = Math.max(...ids.map((id) => id.length));
    for (const [i, s] of suite.scenarios.entries()) {
      const fault = visible(s.fault ? formatFault(s.fault) : 'no fault');
      out.write(`  ${ids[i]!.padEnd(width)}  ${fault.padEnd(34)}  client ${s.expect.client}\n`);
    }
    out.write('\n');
  }
  out.write('clients:\n');
  for (const c of CLIENTS) out.write(`  ${c.name.padEnd(16)} ${c.protocol}  ${c.description}\n`);
  for (const c of OPT_IN_CLIENTS) out.write(`  ${c.name.padEnd(16)} ${c.protocol}  ${c.description} (only when named)\n`);
  out.write('\nfaults (--fault KIND [ARGS] [AT] [OPTIONS]):\n');
  for (const line of faultLines()) out.write(`${line}\n`);
}
