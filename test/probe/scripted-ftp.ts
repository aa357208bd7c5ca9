/**
 * A tiny scripted FTP server for probe tests whose defect the mock cannot plant: greeting, login, FEAT
 * with the lines given, EPSV with a real listener (unless the script answers it), and per-command answers from a script (a data
 * command's answer sends its `data` over the data connection between 150 and the final reply).
 * Loopback, port 0; close() ends every socket. A script entry is looked up by the whole line, then by its verb.
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';

/** What a command gets: reply lines (CRLF added), and for a data command the octets to send. */
export interface Scripted {
  readonly reply: readonly string[];
  /** Sent over the EPSV data connection after a `150` first line; the rest of `reply` follows it. */
  readonly data?: string;
  /**
   * An upload: after the `150` first line, read the data connection until `after` octets came (or its
   * end), then end it as `how` says (`fin`, `reset`, or `read` on to the end) and send the rest of `reply`.
   */
  readonly upload?: { readonly after: number; readonly how: 'fin' | 'reset' | 'read' };
}

export interface ScriptedFtp {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server; `script` maps a command line (`MLSD`, `MLST x`) to its answer; others get 502; `onCommand` sees each line. */
export async function startScriptedFtp(
  feat: readonly string[],
  script: Readonly<Record<string, Scripted>>,
  onCommand: (line: string) => void = () => undefined,
): Promise<ScriptedFtp> {
  const sockets = new Set<Socket>();
  const servers = new Set<Server>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const control = net.createServer((socket) => {
    track(socket);
    let data: Promise<Socket> | undefined;
    const send = (...lines: string[]): boolean => socket.write(lines.map((l) => `${l}\r\n`).join(''));
    send('220 scripted');
    let buffered = '';
    socket.on('data', async (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        onCommand(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'USER') send('331 password');
        else if (verb === 'PASS') send('230 in');
        else if (verb === 'FEAT') send('211-Features:', ...feat.map((f) => ` ${f}`), '211 End');
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else if (verb === 'EPSV' && !(script[line] ?? script[verb])) {
          const listener = net.createServer();
          servers.add(listener);
          data = new Promise((resolve) =>
            listener.once('connection', (conn) => {
              track(conn);
              listener.close();
              resolve(conn);
            }),
          );
          await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
          send(`229 Entering Extended Passive Mode (|||${(listener.address() as AddressInfo).port}|)`);
        } else if (script[line] ?? script[verb]) {
          const { reply, data: octets, upload } = (script[line] ?? script[verb])!;
          if (upload && data) {
            send(reply[0]!);
            await receive(await data, upload);
            send(...reply.slice(1));
          } else if (octets !== undefined && data) {
            send(reply[0]!);
            const conn = await data;
            await new Promise<void>((resolve) => conn.end(octets, 'latin1', resolve));
            send(...reply.slice(1));
          } else send(...reply);
        } else send('502 not here');
      }
    });
  });
  servers.add(control);
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (control.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([...servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** Reads an upload until `after` octets came or it ended, then ends the data connection as asked. */
function receive(conn: Socket, upload: NonNullable<Scripted['upload']>): Promise<void> {
  return new Promise((resolve) => {
    let count = 0;
    const done = (): void => {
      conn.removeAllListeners('data');
      resolve();
    };
    conn.on('end', done);
    conn.on('close', done);
    conn.on('data', (chunk: Buffer) => {
      count += chunk.length;
      if (count < upload.after || upload.how === 'read') return;
      if (upload.how === 'reset') conn.resetAndDestroy();
      else conn.destroy();
      done();
    });
  });
}
