/**
 * `wireprobe serve smtp`: a misbehaving SMTP server for the user's own application. The mock server
 * sits behind the fault proxy; the user's app connects to the proxy's URL.
 */
import { startSmtpServer, type SinkMessage, type SmtpServerOptions } from '../../servers/smtp.js';
import { formatFault } from '../faults/format.js';
import type { Fault } from '../faults/types.js';
import { startProxy } from '../proxy/proxy.js';

export interface ServeCommand {
  readonly faults: readonly Fault[];
  readonly host: string;
  readonly port: number;
  readonly server: SmtpServerOptions;
  readonly out: NodeJS.WritableStream;
}

/** A running `serve`: its URL, and how to stop it. */
export interface Serving {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server and proxy and logs every session's transcript and every accepted message. */
export async function serveCommand(cmd: ServeCommand): Promise<Serving> {
  const log = (line: string): void => void cmd.out.write(`${line}\n`);
  const onMessage = (m: SinkMessage): void =>
    log(`accepted message: from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(', ')}, ${m.bytes} bytes, sha256 ${m.sha256}`);
  const server = await startSmtpServer({ ...cmd.server, host: '127.0.0.1', port: 0, onMessage });
  const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: cmd.faults, host: cmd.host, port: cmd.port, onLine: log }).catch(
    async (error: unknown) => {
      await server.close(); // else the mock server keeps the process alive after the error line
      throw error;
    },
  );
  const url = `smtp://${proxy.address}`;
  log(`wireprobe: SMTP server listening on ${url}`);
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
