/** Waiting for a real server to be ready: its `220 ` greeting answered, and the greeting's session gone. */
import net from 'node:net';
import tls from 'node:tls';
import { pause, POLL_MS, START_DEADLINE_MS } from './deadlines.js';
import { LOOPBACK } from './ports.js';
import { childrenOf } from './proc.js';
import type { ServerProcess } from './process.js';

/** Resolves once the server's main process has no child process left (a session ended and was reaped), or after `deadlineMs`. */
export async function untilNoChildren(server: ServerProcess, deadlineMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const main = await server.main();
    if (main === undefined || (await childrenOf(main)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}

/**
 * One attempt: connect, read the greeting's last line, QUIT, wait for the close. `implicit`: a TLS
 * handshake first (implicit FTPS); the certificate is not checked, only the greeting matters here.
 */
function greetOnce(port: number, host: string, deadline: number, implicit: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = implicit ? tls.connect({ port, host, rejectUnauthorized: false }) : net.connect({ port, host });
    let text = '';
    let greeting: string | undefined;
    const timer = setTimeout(
      () => fail(new Error(`no complete greeting within the start deadline (got ${JSON.stringify(text)})`)),
      Math.max(0, deadline - Date.now()),
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (greeting !== undefined) return;
      // RFC 959 §4.2 / RFC 5321 §4.2: the last line of a reply is "ddd " (multi-line: "ddd-" before it).
      const last = /^(\d{3}) [^\r\n]*\r?\n/m.exec(text);
      if (!last) return;
      if (last[1] !== '220') return fail(Object.assign(new Error(`greeting is not 220: ${text.trim()}`), { code: 'EGREETING' }));
      greeting = text.trim();
      socket.write('QUIT\r\n');
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      clearTimeout(timer);
      if (greeting !== undefined) resolve(greeting);
      else reject(Object.assign(new Error(`closed before a greeting (got ${JSON.stringify(text)})`), { code: 'ECLOSEDEARLY' }));
    });
  });
}

/**
 * Waits for the server's `220 ` greeting on host:port: retries while the port refuses (or the
 * connection closes early) until `deadlineMs`, rejects at once when the process exits first (with
 * its output). Sends QUIT and waits for the server to close, then for that session's process to go
 * (untilNoChildren), so the probe does not count against session limits. Resolves with the greeting.
 * `implicitTls`: the port speaks TLS from the first byte (vsftpd implicit_ssl, proftpd UseImplicitSSL).
 */
export async function awaitBanner(
  server: ServerProcess,
  port: number,
  options: { readonly host?: string; readonly deadlineMs?: number; readonly name?: string; readonly implicitTls?: boolean } = {},
): Promise<string> {
  const host = options.host ?? LOOPBACK;
  const name = options.name ?? 'server';
  const deadline = Date.now() + (options.deadlineMs ?? START_DEADLINE_MS);
  let last: unknown;
  while (Date.now() < deadline) {
    if (server.hasExited()) break;
    try {
      const attempt = greetOnce(port, host, deadline, options.implicitTls === true);
      attempt.catch(() => undefined); // lost the race to the exit: settled later, never unhandled
      const greeting = await Promise.race([attempt, server.exited.then(() => undefined)]);
      if (greeting === undefined) break;
      await untilNoChildren(server);
      return greeting;
    } catch (error) {
      last = error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'ECLOSEDEARLY') break;
      await pause(POLL_MS * 2);
    }
  }
  const status = server.hasExited() ? `exited (${JSON.stringify(await server.exited)})` : `gave no 220 greeting on ${host}:${port} within the deadline`;
  const why = last instanceof Error ? ` (last attempt: ${last.message})` : '';
  throw new Error(`${name} ${status}${why}; its output: ${server.output().trim() || '(none)'}`);
}
