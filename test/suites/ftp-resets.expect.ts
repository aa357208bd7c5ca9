/**
 * ftp/resets: every client reports a cut before the 226 and success after it, in both modes (an upload's,
 * and a download's data connection cut mid-RETR, which the mock answers 426); phases
 * differ by what each client sends first (basic-ftp OPTS UTF8, lftp FEAT). The mid-STOR cuts move
 * 32 MiB so the client is still writing when its connection dies; with 1 MiB (all of it already in
 * socket buffers) a FIN on the data connection let basic-ftp, ftplib and lftp report a truncated upload
 * complete, and with 8 MiB lftp did once under load (loopback buffers grow to ~10 MiB). lftp reconnects at once and sends the whole file again (as pinned in its adapter) until its
 * own 3 s no-progress timeout ends the loop; a failure is seen through the first session the fault
 * struck (src/engine/ftp-run.ts), so it reads as every other client's. Every cell has one outcome, and
 * every result also meets the invariants in ./invariants.ts.
 */
import { every, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'reset-on-connect': every(['reset', 'connect', 'conformant']),
  'close-on-connect': every(['closed', 'connect', 'conformant']),
  'reset-after-greeting': every(['reset', 'user', 'conformant'], {
    'basic-ftp/passive': ['reset', 'opts', 'conformant'],
    'lftp/passive': ['reset', 'feat', 'conformant'],
    'lftp/active': ['reset', 'feat', 'conformant'],
  }),
  'close-after-greeting': every(['closed', 'greeting', 'conformant']),
  'reset-before-user-reply': every(['reset', 'user', 'conformant']),
  'close-before-user-reply': every(['closed', 'user', 'conformant']),
  'reset-before-pass-reply': every(['reset', 'pass', 'conformant']),
  'close-before-pass-reply': every(['closed', 'pass', 'conformant']),
  'reset-after-pass': every(['reset', 'pwd', 'conformant'], {
    'basic-ftp/passive': ['reset', 'feat', 'conformant'],
    'ftplib/passive': ['reset', 'type', 'conformant'],
    'ftplib/active': ['reset', 'type', 'conformant'],
  }),
  'close-after-pass': every(['closed', 'pass', 'conformant']),
  'reset-before-stor-reply': every(['reset', 'stor', 'conformant']),
  'close-before-stor-reply': every(['closed', 'stor', 'conformant']),
  // Every data connection is cut after 256 KiB: lftp sends the file again on a new session each time
  // until its no-progress timeout ends the loop; the first cut is what it failed on.
  'reset-data-mid-stor': every(['reset', 'transfer', 'conformant']),
  // The client gives up on its failed write; the server's 226 (for the truncated file) waits for it to
  // act (src/proxy/ftp-data.ts): where it was when it closed the control connection is the transfer.
  // The FIN, then no more reading (`close abort`): a client still writing meets the RST in its next write
  // (curl exit 55, "Send failure: Broken pipe"; ftplib's and basic-ftp's EPIPE).
  'close-data-mid-stor': every(['reset', 'transfer', 'conformant'], {
    // lftp stops writing once the 226 for the truncated file came ("no progress timeout"), and closes the session itself.
    'lftp/passive': ['closed', 'stor', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
  }),
  // The mock closes its data socket with its control connection, our octets unread: a FIN, then an RST
  // that the proxy shows the client in either mode. lftp reconnects after each cut control connection
  // until its no-progress timeout; the first cut is what it failed on.
  'reset-control-mid-stor': every(['reset', 'transfer', 'conformant']),
  // 32 MiB (suites/ftp/resets.ts): ftplib and curl are still writing when the server's RST comes, never
  // done and reading the control connection's FIN (ftplib: 33 of 33 runs under load; with 8 MiB, 1 in 8
  // was `closed`); they meet the RST in a write (curl exit 55) before acting on that FIN (DataInfo.rstFirst).
  'close-control-mid-stor': every(['closed', 'transfer', 'conformant'], {
    'curl/passive': ['reset', 'transfer', 'conformant'],
    'curl/active': ['reset', 'transfer', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['reset', 'transfer', 'conformant'],
  }),
  'reset-after-stor': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'close-after-stor': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  // A download cut mid-RETR: the proxy cuts the server's end at once, so the mock answers 426. With a
  // FIN the client reads end of file and then the 426; lftp retries (REST, RETR) on its own and gets the
  // whole file. An RST goes to the client once it has read what was relayed (an RST that finds unread
  // data reads as end of file on Linux), and the 426 right behind it: every other client fails on the
  // RST, at the 426 to RETR.
  'reset-data-mid-retr': every(['reset', 'retr', 'conformant'], {
    'lftp/passive': ['delivered', 'retr', 'conformant'],
    'lftp/active': ['delivered', 'retr', 'conformant'],
  }),
  'close-data-mid-retr': every(['reply', 'retr', 'conformant'], {
    'lftp/passive': ['delivered', 'retr', 'conformant'],
    'lftp/active': ['delivered', 'retr', 'conformant'],
  }),
  // lftp reconnects at once, twice, into the 2 s the server is down, and gives up (refused, or reset
  // at connect): it failed on the restart itself, as every other client.
  'restart-mid-stor': every(['closed', 'transfer', 'conformant']),
  'restart-mid-stor-rst': every(['reset', 'transfer', 'conformant']),
};

export function expectFtpResets(id: string, column: string): Want | undefined {
  return TABLE[id.slice('ftp/resets/'.length)]?.[column];
}
