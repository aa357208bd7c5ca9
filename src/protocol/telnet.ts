/**
 * Telnet commands inside an FTP command line. The control connection speaks the Telnet protocol
 * (RFC 959 §5.3, §4.1.3): a client aborting a transfer sends IAC IP, then the Synch (IAC DM, its DM, or in
 * Net::FTP its second IAC, sent as TCP urgent data), then ABOR. What reaches a line reader depends on the
 * urgent byte: a receiver that does not read urgent data (Node, a proxy in between) loses the last urgent
 * byte sent, so `IAC IP IAC ABOR` or `IAC IP DM ABOR` arrive as well as the whole `IAC IP IAC DM ABOR`.
 * Pure: no sockets.
 */

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
/** RFC 854 Data Mark: the byte the Synch points at. */
const DM = 0xf2;
/** RFC 854 WILL, WONT, DO, DONT take an option byte: three octets in all. */
const NEGOTIATION_FIRST = 0xfb;

/**
 * A command line without its Telnet commands (RFC 854): IAC IAC is a literal 0xFF; IAC WILL/WONT/DO/DONT
 * with its option, IAC SB … IAC SE and every other IAC plus one command octet (IP, DM, AO, AYT…) are
 * dropped; an IAC followed by an ordinary octet (its partner left as urgent data) is dropped alone; DM
 * octets before the first other octet (a Synch whose IAC left as urgent data) are dropped too.
 */
export function stripTelnet(line: Buffer): Buffer {
  if (!line.includes(IAC) && line[0] !== DM) return line;
  const out: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    if (byte !== IAC) {
      if (!(byte === DM && out.length === 0)) out.push(byte);
      continue;
    }
    const command = line[i + 1];
    if (command === undefined) break;
    if (command === IAC) {
      out.push(IAC);
      i++;
    } else if (command === SB) {
      const end = line.indexOf(Buffer.from([IAC, SE]), i + 2);
      i = end === -1 ? line.length : end + 1;
    } else if (command >= NEGOTIATION_FIRST) i += 2;
    else if (command >= SE) i++;
  }
  return Buffer.from(out);
}

/** stripTelnet for a line held as latin1 text (one character per octet, as the trackers keep lines). */
export function stripTelnetText(line: string): string {
  return /[\xf2\xff]/.test(line) ? stripTelnet(Buffer.from(line, 'latin1')).toString('latin1') : line;
}

/**
 * The command line with the octet of a Synch that was lost as urgent data put back in band, or null
 * when none is missing. A receiver that does not read urgent data (Node, so the proxy) loses the last
 * urgent octet: `IAC IP IAC ABOR` lost the DM (RFC 854's Synch, the DM urgent), `IAC IP DM ABOR` lost
 * the IAC (Net::FTP sends `IAC IP IAC` urgent, then `DM ABOR`). Relayed as they arrive, a server that
 * parses Telnet reads `IAC A` as a command and is left with `BOR`.
 */
export function restoreSynch(line: Buffer): Buffer | null {
  const out: number[] = [];
  let restored = false;
  let leading = true;
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    if (byte === IAC) {
      const command = line[i + 1];
      if (command === undefined) {
        out.push(IAC);
        break;
      }
      out.push(IAC, command);
      i++;
      if (command === IAC) leading = false; // the octet 0xFF: data
      if (command >= SE) continue;
      // An IAC before an ordinary octet: its partner was the urgent octet.
      out.splice(out.length - 1, 0, DM);
      restored = true;
      leading = false;
      continue;
    }
    if (byte === DM && leading) {
      out.push(IAC, DM); // a DM with no IAC before the command: the IAC was the urgent octet
      restored = true;
      continue;
    }
    leading = false;
    out.push(byte);
  }
  return restored ? Buffer.from(out) : null;
}
