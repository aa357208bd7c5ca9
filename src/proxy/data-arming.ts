/**
 * The faults of an FTP control session's data side, and where each acts when it fires:
 *
 *   dataport             ─► the data addresses the proxy says (./data-addresses.ts), from the first one on
 *   channel data         ─► the data connection it fired on (./data-link.ts)
 *   control, by octets   ─► the control connection (`reset after STOR +N`), or the listener (`refuse`)
 */
import { applyFault, isSessionFault } from '../faults/apply.js';
import type { Link } from '../faults/link.js';
import { scopeOf } from '../faults/registry.js';
import type { DataPortFault, Fault } from '../faults/types.js';
import { Arming, type Veto } from './arming.js';
import type { Transcript } from './transcript.js';

export interface DataArmingOptions {
  /** This session's data-channel and dataport faults, and its control faults timed by data octets. */
  readonly faults: readonly Fault[];
  /** The proxy's veto: see Arming. */
  readonly fire: Veto;
  readonly transcript: Transcript;
  /** The control connection, where control faults timed by data octets act. */
  readonly control: Link;
  /** A listener fault (`refuse`: a server restart) timed by data octets fired; default none. */
  readonly listenerFault?: (fault: Fault) => void;
}

/** The data side's armed faults, shared by every data connection of one control session. */
export class DataArming {
  readonly #o: DataArmingOptions;
  readonly #arming: Arming;
  #misroute: DataPortFault['how'] | undefined;

  constructor(options: DataArmingOptions) {
    this.#o = options;
    this.#arming = new Arming(options.faults, options.fire);
  }

  /**
   * The dataport fault in force, fired at the first address it can change (`wrong-address` needs an
   * address to change: a 229 has only a port).
   */
  misroute(hasAddress: boolean): DataPortFault['how'] | undefined {
    if (this.#misroute) return this.#misroute === 'wrong-address' && !hasAddress ? undefined : this.#misroute;
    const fault = this.#arming.find((f): f is DataPortFault => f.kind === 'dataport' && (hasAddress || f.how !== 'wrong-address'));
    if (!fault) return undefined;
    const line = this.#arming.fire(fault);
    if (line === undefined) return undefined;
    this.#o.transcript.add('!!', line);
    this.#misroute = fault.how;
    return fault.how;
  }

  /**
   * Whether the data addresses will be misrouted `how`: the dataport fault in force, or one armed and
   * not yet fired. Nothing fires: it lets the proxy prepare the port before the reply it goes in.
   */
  pending(how: DataPortFault['how']): boolean {
    return this.#misroute === how || this.#arming.armed.some((f) => f.kind === 'dataport' && f.how === how);
  }

  /** Arms or disarms a matching transfer's data-side faults (see ./armory.ts). */
  change(add: readonly Fault[], remove: readonly Fault[]): void {
    this.#arming.remove(remove);
    this.#arming.add(add);
  }

  /** The faults a data connection fires: due on its connect or by its octets. */
  forLinks(): readonly Fault[] {
    return this.#arming.armed.filter((f) => scopeOf(f) !== 'address');
  }

  /**
   * A data connection's fault is due: it is disarmed; a data-channel fault is left to the data
   * connection (its transcript line is returned), any other acts here. Undefined when vetoed or acted.
   */
  fire(fault: Fault): string | undefined {
    if (fault.channel === 'data') return this.#arming.fire(fault);
    const octet = fault.at !== 'connect' && 'bytes' in fault.at ? fault.at.bytes : 0;
    const line = this.#arming.fire(fault, `at data octet ${octet}`);
    if (line === undefined) return undefined;
    // Timed by the data connection, acting on the control connection.
    this.#o.transcript.add('!!', line);
    if (!isSessionFault(fault)) this.#o.listenerFault?.(fault);
    else applyFault(fault, this.#o.control);
    return undefined;
  }
}
