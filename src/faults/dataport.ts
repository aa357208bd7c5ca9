/**
 * Dataport: the FTP data address points nowhere. The proxy's FTP dialect (src/proxy/ftp-data.ts) rewrites
 * data addresses; this kind only tells it how to misroute them, so it has no effect of its own here.
 */
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/**
 * FTP: where data connections are told to go (the 227/229 reply in passive mode, PORT/EPRT in active
 * mode, RFC 959 §4.1.2, RFC 2428) points nowhere. `wrong-address`: a 227 advertises 127.0.0.2, a loopback
 * address where nothing listens (a server behind NAT advertising its private address); a 229 carries no
 * address, so EPSV is unaffected; PORT/EPRT send the server to 127.0.0.2 (it cannot connect back: 425;
 * an EPRT toward a server on ::1 names ::ffff:127.0.0.2, `|2|`: IPv6 has no second loopback address).
 * `refused`: the advertised port is closed (ECONNREFUSED), in either mode. `blackholed`: the advertised
 * port drops SYNs (a full accept queue, see src/proxy/blackhole.ts): the connect gets no answer at all,
 * as behind a firewall that drops packets; the connecting side waits out its timeout. Over IPv6 the closed
 * or SYN-dropping port is on ::1, named in the 229 (RFC 2428 §3) or the EPRT `|2|`. Fires at the first data
 * address of the connection and holds for the rest of it. Its `at` is always `connect`.
 */
export interface DataPortFault extends FaultBase {
  readonly kind: 'dataport';
  readonly how: 'wrong-address' | 'refused' | 'blackholed';
}

/** The `dataport` kind: its syntax and scope; the effect lives with the address rewriting. */
export const DATAPORT: FaultDescriptor<DataPortFault> = {
  kind: 'dataport',
  scope: 'address',
  trigger: 'connect-only',
  syntax: 'dataport wrong-address|refused|blackholed',
  help: 'FTP: the data address points to 127.0.0.2, a closed port, or one that drops SYNs',
  example: 'dataport refused',
  args: (c) => ({ how: c.choice(['wrong-address', 'refused', 'blackholed'] as const) }),
  format: (f) => [f.how],
};
