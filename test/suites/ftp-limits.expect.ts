/**
 * ftp/limits: over a limit every client reports the turned-away uploads failed and nothing is lost;
 * lftp retries after 421, a close or an RST until a slot frees, so all its uploads complete. curl
 * reports a 421 greeting as a timeout (exit 28: its FTP code treats 421 as one), the others as 421.
 * Over a full backlog every client waits its turn and delivers.
 */
import { every, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'over-limit-421': every(['reply', 'greeting', 'conformant'], {
    'curl/passive': ['timeout', 'greeting', 'conformant'],
    'curl/active': ['timeout', 'greeting', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'over-limit-close': every(['closed', 'connect', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'over-limit-reset': every(['reset', 'connect', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'over-limit-backlog': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'server-limit-421': every(['reply', 'greeting', 'conformant'], {
    'curl/passive': ['timeout', 'greeting', 'conformant'],
    'curl/active': ['timeout', 'greeting', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'under-limit': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  '530-at-pass': every(['reply', 'pass', 'conformant']),
};

export function expectFtpLimits(id: string, column: string): Want | undefined {
  return TABLE[id.slice('ftp/limits/'.length)]?.[column];
}
