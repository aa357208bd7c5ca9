/**
 * ftp/limits: over a limit every client reports the turned-away uploads failed and nothing is lost
 * (lftp too: its retries come at once, while the slots are still held); a 421 greeting is each one's
 * outcome, curl's too (it exits 28 on any 421, "timeout", and the wire shows the 421 it read).
 * Over a full backlog every client waits its turn and delivers. basic-ftp cannot choose the address it
 * connects from, so the per-address scenarios are n/a for it.
 */
import { every, NA, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'over-limit-421': every(['reply', 'greeting', 'conformant']),
  'over-limit-close': every(['closed', 'connect', 'conformant']),
  'over-limit-reset': every(['reset', 'connect', 'conformant']),
  'over-limit-backlog': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'server-limit-421': every(['reply', 'greeting', 'conformant']),
  'under-limit': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'per-address-421': every(['reply', 'greeting', 'conformant'], {
    'basic-ftp/passive': NA,
  }),
  'per-address-under': every(['delivered', 'stor', 'conformant'], {
    'basic-ftp/passive': NA,
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  '530-at-pass': every(['reply', 'pass', 'conformant']),
};

/**
 * lftp retries a turned-away session twice, at once (net:max-retries 2, no reconnect interval): the
 * slots are still held (greetings are held 1.5 s), so it reports the failure like the others. A FEAT it
 * sends after a 421 greeting does not move its phase (FtpPhase: after a 421 the session is over).
 */
export function expectFtpLimits(id: string, column: string): Want | undefined {
  return TABLE[id.slice('ftp/limits/'.length)]?.[column];
}
