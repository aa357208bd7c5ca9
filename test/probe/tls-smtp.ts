/**
 * A tiny SMTP responder behind TLS for the probe's TLS tests: `implicit` (smtps://: TLS from the first
 * octet, a node:tls server) or `starttls` (plain, STARTTLS upgrades the socket in place). `minVersion`
 * (with `ciphers` `DEFAULT:@SECLEVEL=0` below TLS 1.2, so TLS 1.0/1.1 really are accepted) sets what it
 * accepts; `starttlsInside` advertises STARTTLS inside implicit TLS (a defect). Loopback, port 0.
 */
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createPrivateCa } from '../../src/tls/ca.js';

export interface TlsSmtpOptions {
  readonly mode: 'implicit' | 'starttls';
  /** Default TLSv1.2. */
  readonly minVersion?: tls.SecureVersion;
  readonly starttlsInside?: boolean;
}

export interface TlsSmtp {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTlsSmtp(options: TlsSmtpOptions): Promise<TlsSmtp> {
  const pair = await (await createPrivateCa()).issue({ kind: 'self-signed' });
  const minVersion = options.minVersion ?? 'TLSv1.2';
  const settings = {
    cert: pair.cert,
    key: pair.key,
    minVersion,
    ...(minVersion === 'TLSv1' || minVersion === 'TLSv1.1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
  const context = tls.createSecureContext(settings);
  const sockets = new Set<net.Socket>();
  const serve = (socket: net.Socket, secure: boolean): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1');
      for (let at = buffer.indexOf('\r\n'); at !== -1; at = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          const starttls = (options.mode === 'starttls' && !secure) || (secure && options.starttlsInside) ? ['250-STARTTLS'] : [];
          socket.write(['250-tls.test', ...starttls, '250 AUTH PLAIN', ''].join('\r\n'));
        } else if (verb === 'STARTTLS' && line === 'STARTTLS' && !secure && options.mode === 'starttls') {
          socket.off('data', onData);
          socket.write('220 go ahead\r\n');
          const upgraded = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
          serve(upgraded, true);
          return;
        } else if (verb === 'STARTTLS') socket.write('501 no arguments\r\n');
        else if (verb === 'AUTH') socket.write(line === 'AUTH PLAIN' ? '334 \r\n' : '235 ok\r\n');
        else if (line === '*') socket.write('501 cancelled\r\n');
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    };
    socket.on('data', onData);
    if (options.mode === 'implicit' || !secure) socket.write('220 tls.test ESMTP\r\n');
  };
  const server = options.mode === 'implicit' ? tls.createServer(settings, (socket) => serve(socket, true)) : net.createServer((socket) => serve(socket, false));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
