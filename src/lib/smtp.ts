/**
 * `startSmtp`: the mock SMTP server behind the fault proxy, as `serve smtp` composes them, for a test.
 *
 *   client ──► fault proxy (url, faults, sessions) ──► mock SMTP server (spool: raw()) ──► messages
 *
 * A message is tied to its proxied connection by the proxy's port toward the mock (the client port
 * the mock saw).
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { startSmtpServer, type SinkMessage } from '../../servers/smtp.js';
import { startProxy } from '../proxy/proxy.js';
import { controllable } from './controllable.js';
import { checkCommon, octets, startFaults } from './options.js';
import type { ReceivedMessage, SmtpMock, StartSmtpOptions } from './types.js';
import { Waiters } from './waiters.js';

/**
 * Starts a mock SMTP server behind the fault proxy on 127.0.0.1 (a free port unless `port` is given).
 * @throws FaultSyntaxError for a fault that does not parse; WireprobeError (EUSAGE) for a bad option.
 */
export async function startSmtp(options: StartSmtpOptions = {}): Promise<SmtpMock> {
  checkCommon(options);
  const faults = startFaults(options.faults);
  const sizeLimit = options.sizeLimit === undefined ? 0 : octets('sizeLimit', options.sizeLimit);
  const messages: ReceivedMessage[] = [];
  /** Where each message's content is, kept out of the public value. */
  const spooled = new WeakMap<ReceivedMessage, string>();
  const waiters = new Waiters<ReceivedMessage>('message');
  const keep = options.keep ?? Number.POSITIVE_INFINITY;
  // Set once the proxy runs: messages arrive only through it.
  let sessionOf: (port: number) => number = () => 0;

  const onMessage = (m: SinkMessage, from: { readonly port: number }): void => {
    const message = received(m, sessionOf(from.port));
    if (m.spooled) spooled.set(message, m.spooled);
    messages.push(message);
    // The server drops the spool file of a message `keep` lets go.
    if (messages.length > keep) messages.shift();
    waiters.arrived(message);
  };
  const server = await startSmtpServer({
    host: '127.0.0.1',
    port: 0,
    sizeLimit,
    ...(options.auth ? { auth: options.auth.required ? 'required' : 'optional', users: options.auth.users } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    keep,
    spool: 'on',
    ...(options.signal ? { signal: options.signal } : {}),
    onMessage,
  });
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    faults,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
  }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  sessionOf = (port) => proxy.sessions().find((s) => s.upstreamPort === port)?.index ?? 0;

  const base = controllable(proxy, 'smtp', async () => {
    waiters.close();
    await proxy.close();
    await server.close();
  });
  return Object.assign(base, {
    messages,
    waitForMessage: (o?: { readonly timeout?: number; readonly count?: number }) => waiters.wait(o),
    clearMessages() {
      for (const m of messages.splice(0)) {
        const file = spooled.get(m);
        if (file) rmSync(file, { force: true });
      }
    },
  });
}

function received(m: SinkMessage, session: number): ReceivedMessage {
  const file = m.spooled;
  return {
    from: m.from,
    to: m.to,
    bytes: m.bytes,
    sha256: m.sha256,
    session,
    raw: () => (file ? readFile(file) : Promise.reject(new Error('the message was not spooled'))),
  };
}
