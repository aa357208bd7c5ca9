/** `wireprobe list`: suites and scenarios, with their faults and what a conformant client does; clients; fault kinds. */
import { formatFault } from '../faults/format.js';
import { faultLines } from '../faults/table.js';
import type { Suite } from '../../suites/index.js';
import { CLIENTS, OPT_IN_CLIENTS } from '../clients/index.js';
import { checkCommandClient, parseCommandClient, type CommandClientSpec } from '../clients/command.js';
import type { ClientSpec } from '../config/config.js';
import { visible } from '../util/terminal.js';

/**
 * Writes the listing of `suites` to `out`. A scenario file's text (its description, a fault's reply
 * text) is the user's, printed to a terminal: escaped (`visible`) like a peer's. `own`: a config file's
 * clients, listed after the built-in ones.
 */
export function listSuites(suites: readonly Suite[], out: NodeJS.WritableStream, own?: OwnClients): void {
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
  if (own) {
    out.write(`\nclients of ${visible(own.file)} (a module is loaded only by run and matrix: importing it runs its code):\n`);
    for (const line of ownClientLines(own)) out.write(`  ${visible(line)}\n`);
  }
  out.write('\nfaults (--fault KIND [ARGS] [AT] [OPTIONS]):\n');
  for (const line of faultLines()) out.write(`${line}\n`);
}

/** A config file's clients, as `list` shows them. */
export interface OwnClients {
  /** The config file, as shown. */
  readonly file: string;
  readonly clients: readonly ClientSpec[];
  /** A module's path as shown (relative to where the command was given). */
  readonly shown: (path: string) => string;
}

/** A config file's clients, one line each: a command client's name, protocol and command; a module's path; built-in names as named. */
function ownClientLines({ clients, shown }: OwnClients): string[] {
  const command = (spec: CommandClientSpec): string => {
    const own = spec.message === 'own' ? ' (composes its own message: counted, not compared)' : '';
    return `${spec.name.padEnd(16)} ${spec.protocol}  command: ${spec.command}${own}`;
  };
  return clients.map((given) => {
    if (typeof given !== 'string') return 'module' in given ? `module ${shown(given.module)}` : command(checkCommandClient(given));
    return given.startsWith('cmd:') ? command(parseCommandClient(given)) : given.startsWith('/') ? `module ${shown(given)}` : given;
  });
}
