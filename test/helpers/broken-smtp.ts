/**
 * A deliberately broken SMTP server for the probe's tests, with the defects smtp-server cannot be
 * configured into (each a class of real server behaviour the probe must judge right).
 */
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/**
 * The defects, each off by default: `sizeIgnored` advertises SIZE 1000 and takes anything; `sizeLate`
 * advertises SIZE 1000, takes any SIZE= at MAIL and refuses a body over 1000 octets with 552 at its end
 * (OpenSMTPD 6.8); `sizeHidden` advertises no SIZE and refuses a body over that many octets with 552 at
 * its end (Postfix with smtpd_discard_ehlo_keywords = size); `flushInput` answers only the first command of
 * each read (the input-buffer flush of RFC 2920 §2); `bareLf` ends DATA at any line that is "." after
 * LF framing (SMTP smuggling): `true` takes the message (250), `sync` too unless more input follows in
 * the same read (then a 554 synchronisation error and a close), `refuse-close` answers 550 and closes,
 * `refuse-open` answers 550 and reads commands again, `drop` closes without a reply; `injection` offers STARTTLS and keeps plaintext
 * read before the handshake, answering it inside TLS (CVE-2011-0411); `tls454` offers STARTTLS and AUTH
 * PLAIN and answers STARTTLS with 454; `helo` refuses HELO after EHLO in a session (`after-ehlo`, RFC
 * 5321 §4.1.4 allows it) or always (`never`); `starttls` offers STARTTLS and, after the handshake,
 * forgets the EHLO (`reset`, RFC 3207 §4.2) or keeps it (`kept`); `ehloRequired` answers 503 to MAIL
 * before EHLO/HELO (Postfix takes it unless smtpd_helo_required); `tlsRequired` answers 530 to MAIL in
 * clear text (Postfix smtpd_tls_security_level = encrypt).
 */
export interface BrokenDefects {
  readonly sizeIgnored?: boolean;
  readonly sizeLate?: boolean;
  readonly sizeHidden?: number;
  readonly flushInput?: boolean;
  readonly bareLf?: boolean | 'sync' | 'refuse-close' | 'refuse-open' | 'drop';
  readonly injection?: boolean;
  readonly tls454?: boolean;
  readonly helo?: 'after-ehlo' | 'never';
  readonly starttls?: 'reset' | 'kept';
  readonly ehloRequired?: boolean;
  readonly tlsRequired?: boolean;
}

/** A running broken server: `delivered` counts messages it took, `commands` every command line received. */
export interface BrokenSmtp {
  readonly port: number;
  delivered(): number;
  readonly commands: string[];
  close(): Promise<void>;
}

/** Starts the broken server on 127.0.0.1, port 0. */
export async function startBrokenSmtp(defects: BrokenDefects): Promise<BrokenSmtp> {
  const commands: string[] = [];
  const pems =
    defects.injection || defects.starttls ? await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' }) : undefined;
  let delivered = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    let socket: net.Socket = raw;
    let buffer = '';
    let inData = false;
    let upgrading = false;
    let greeted = false;
    let lastCrlf = true;
    let bodyOctets = 0;
    const caps = [
      '250-broken.test',
      '250-PIPELINING',
      ...(defects.sizeIgnored || defects.sizeLate ? ['250-SIZE 1000'] : []),
      ...(defects.injection || defects.tls454 || defects.starttls ? ['250-STARTTLS'] : []),
      ...(defects.tls454 ? ['250-AUTH PLAIN LOGIN'] : []),
      '250 8BITMIME',
    ];
    const reply = (line: string): void => void socket.write(`${line}\r\n`);
    const process = (): void => {
      for (;;) {
        if (upgrading) return;
        const lf = buffer.indexOf('\n');
        if (lf === -1) return;
        const rawLine = buffer.slice(0, lf);
        const line = rawLine.replace(/\r$/, '');
        buffer = buffer.slice(lf + 1);
        if (inData) {
          const proper = lastCrlf && rawLine === '.\r';
          lastCrlf = rawLine.endsWith('\r');
          if (proper) {
            inData = false;
            if ((defects.sizeLate && bodyOctets > 1000) || (defects.sizeHidden !== undefined && bodyOctets > defects.sizeHidden)) {
              reply('552 5.3.4 Message too large');
              continue;
            }
            delivered++;
            reply('250 queued');
            continue;
          }
          bodyOctets += lf + 1;
          // Vulnerable framing: LF-separated lines, so "\n.\n" ends the data (smuggling).
          if (line === '.' && defects.bareLf) {
            inData = false;
            if (defects.bareLf === 'sync' && buffer !== '') {
              reply('554 5.5.0 Error: SMTP protocol synchronization');
              socket.end();
              return;
            }
            if (defects.bareLf === 'drop') {
              socket.end();
              return;
            }
            if (defects.bareLf === 'refuse-close' || defects.bareLf === 'refuse-open') {
              reply('550 5.5.2 Error: bare <LF> received');
              if (defects.bareLf === 'refuse-close') {
                socket.end();
                return;
              }
              continue;
            }
            delivered++;
            reply('250 queued');
          }
          continue;
        }
        commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          greeted = true;
          const offered = defects.starttls && socket !== raw ? caps.filter((c) => c !== '250-STARTTLS') : caps;
          socket.write(`${offered.join('\r\n')}\r\n`);
        } else if (verb === 'HELO' && (defects.helo === 'never' || (defects.helo === 'after-ehlo' && greeted))) {
          reply(defects.helo === 'never' ? '502 5.5.2 HELO not implemented' : '503 5.5.1 Error: duplicate HELO/EHLO');
        } else if (verb === 'STARTTLS' && defects.tls454) reply('454 4.7.0 TLS not available due to local problem');
        else if (verb === 'STARTTLS' && defects.starttls && line !== 'STARTTLS') reply('501 5.5.4 Syntax: STARTTLS');
        else if (verb === 'AUTH' && defects.tls454) reply('235 2.7.0 Authentication successful');
        else if (verb === 'MAIL' && defects.tlsRequired && socket === raw) reply('530 5.7.0 Must issue a STARTTLS command first');
        else if (verb === 'MAIL' && defects.ehloRequired && !greeted) reply('503 5.5.1 Error: send HELO/EHLO first');
        else if (['HELO', 'MAIL', 'RCPT', 'RSET', 'NOOP'].includes(verb)) {
          if (verb === 'HELO') greeted = true;
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          lastCrlf = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else if (verb === 'STARTTLS' && pems) {
          reply('220 go ahead');
          upgrading = true;
          const secure = new tls.TLSSocket(raw, { isServer: true, key: pems.private, cert: pems.cert });
          secure.on('error', () => undefined);
          secure.on('secure', () => {
            socket = secure;
            upgrading = false;
            if (defects.starttls === 'reset') greeted = false;
            secure.on('data', (chunk: Buffer) => {
              buffer += chunk.toString('latin1');
              process();
            });
            process(); // the vulnerability: plaintext read before the handshake is still in `buffer`
          });
          raw.removeAllListeners('data');
          return;
        } else reply('500 unknown command');
        if (defects.flushInput) buffer = '';
      }
    };
    raw.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      process();
    });
    reply('220 broken.test ESMTP');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    delivered: () => delivered,
    commands,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
