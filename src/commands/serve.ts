/**
 * `wireprobe serve smtp|ftp`: a misbehaving server for the user's own application. The mock server
 * sits behind the fault proxy; the user's app connects to the proxy's URL. Every session's transcript
 * is logged (credentials redacted), and every accepted message or stored upload with its SHA-256.
 */
import { startFtpServer, type FtpServerOptions, type StoredFile } from '../../servers/ftp.js';
import { startSmtpServer, type SinkMessage, type SmtpServerOptions } from '../../servers/smtp.js';
import { formatFault } from '../faults/format.js';
import type { Fault } from '../faults/types.js';
import { startProxy } from '../proxy/proxy.js';
import { capped } from '../util/terminal.js';
import { isIP } from 'node:net';

interface ServeCommon {
  readonly faults: readonly Fault[];
  readonly host: string;
  readonly port: number;
  readonly out: NodeJS.WritableStream;
}

export type ServeCommand =
  | (ServeCommon & { readonly protocol: 'smtp'; readonly server: SmtpServerOptions })
  | (ServeCommon & { readonly protocol: 'ftp'; readonly server: FtpServerOptions });

/** A running `serve`: its URL, and how to stop it. */
export interface Serving {
  readonly url: string;
  close(): Promise<void>;
}

/** The mock server, on loopback port 0, reporting what it accepted through `log`. */
async function startMock(cmd: ServeCommand, log: (line: string) => void): Promise<{ host: string; port: number; close(): Promise<void> }> {
  if (cmd.protocol === 'ftp') {
    const onStored = (f: StoredFile): void =>
      log(`stored ${f.path}: ${f.bytes} bytes, sha256 ${f.sha256}${f.complete ? '' : ' (incomplete: the upload was cut)'}`);
    return startFtpServer({ ...cmd.server, host: '127.0.0.1', port: 0, onStored });
  }
  const onMessage = (m: SinkMessage): void =>
    log(`accepted message: from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(', ')}, ${m.bytes} bytes, sha256 ${m.sha256}`);
  return startSmtpServer({ ...cmd.server, host: '127.0.0.1', port: 0, onMessage });
}

/** Starts the server and proxy and logs every session's transcript and everything accepted. */
export async function serveCommand(cmd: ServeCommand): Promise<Serving> {
  // Transcript lines and addresses carry what peers sent: escaped and cut before the terminal sees them.
  const log = (line: string): void => void cmd.out.write(`${capped([line], { maxLineChars: 2000 })[0]}\n`);
  const server = await startMock(cmd, log);
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    faults: cmd.faults,
    host: cmd.host,
    port: cmd.port,
    onLine: log,
    ...(cmd.protocol === 'ftp' ? { protocol: 'ftp' as const } : {}),
  }).catch(async (error: unknown) => {
    await server.close(); // else the mock server keeps the process alive after the error line
    throw error;
  });
  const url = `${cmd.protocol}://${isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
  log(`wireprobe: ${cmd.protocol.toUpperCase()} server listening on ${url}`);
  log(cmd.faults.length ? `faults: ${cmd.faults.map(formatFault).join('; ')}` : 'faults: none (a clean relay)');
  log('Ctrl-C to stop.');
  return {
    url,
    async close() {
      await proxy.close();
      await server.close();
    },
  };
}
