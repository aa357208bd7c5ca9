/**
 * Opening a data connection for a transfer by the first mode that works (./ftp-control.ts makes each):
 * EPSV, PASV, then active, the one that worked last time first.
 */
import { isIPv4 } from 'node:net';
import type { DataPlan, FtpSession } from './ftp-control.js';

/** Data-connection modes in the order a transfer tries them: EPSV, PASV (control address; IPv4 only), then active. */
export type DataMode = DataPlan['mode'];

/**
 * Opens a data connection for a transfer by the first mode that works (the one that worked last time
 * first), so integrity is measured even where one mode is broken (those get their own findings).
 */
export class DataOpener {
  #worked: DataMode | undefined;
  constructor(private readonly s: FtpSession) {}

  /** The mode that worked last, if any. */
  get mode(): DataMode | undefined {
    return this.#worked;
  }

  async open(): Promise<DataPlan | undefined> {
    // Over IPv6 a 227 cannot name the server's address (RFC 2428 §1): EPSV, then EPRT, only.
    const order: DataMode[] = this.#worked ? [this.#worked] : isIPv4(this.s.peer) ? ['EPSV', 'PASV', 'PORT'] : ['EPSV', 'EPRT'];
    for (const mode of order) {
      const plan =
        mode === 'EPSV' || mode === 'PASV' ? await this.s.passive(mode, 'control').then((r) => (r.ok ? r.plan : undefined)) : (await this.s.active(mode)).plan;
      if (plan) {
        this.#worked = mode;
        return plan;
      }
    }
    this.#worked = undefined;
    return undefined;
  }
}
