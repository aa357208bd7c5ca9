/**
 * `startSmtp`: the mock SMTP server behind the fault proxy, as `serve smtp` composes them, for a test.
 *
 *   client ──► fault proxy (url, faults, sessions) ──► mock SMTP server (spool: raw()) ──► messages
 *
 * A message is tied to its proxied connection by the proxy's port toward the mock (the client port
 * the mock saw).
 */
import { startSmtpServer } from '../../servers/smtp.js';
import { startProxy } from '../proxy/proxy.js';
import { WireprobeError } from '../util/errors.js';
import { booleanOption, checkCommon, COMMON_OPTIONS, knownOptions, octets, oneOfOption, startFaults } from './options.js';
import { ReceivedMessages } from './received.js';
import { mockTls } from './tls.js';
import type { SmtpMock, StartSmtpOptions } from './types.js';

/**
 * Starts a mock SMTP server behind the fault proxy on 127.0.0.1 (a free port unless `port` is given).
 * @throws FaultSyntaxError for a fault that does not parse; WireprobeError (EUSAGE) for a bad option.
 */
const SMTP_OPTIONS: Record<keyof StartSmtpOptions, true> = { ...COMMON_OPTIONS, sizeLimit: true, auth: true, tls: true, chunking: true };

export async function startSmtp(options: StartSmtpOptions = {}): Promise<SmtpMock> {
  knownOptions('startSmtp', options, SMTP_OPTIONS);
  checkCommon(options);
  oneOfOption('chunking', options.chunking, ['off', 'on'] as const);
  if (
    options.auth !== undefined &&
    !(typeof options.auth === 'object' && options.auth !== null && typeof options.auth.users === 'object' && options.auth.users !== null)
  )
    // Its kind, never its value: it may hold a password.
    throw new WireprobeError(
      `auth: expected { users: { name: password }, required?: boolean }, got ${options.auth === null ? 'null' : typeof options.auth}`,
      'EUSAGE',
    );
  booleanOption('auth.required', options.auth?.required);
  const faults = startFaults(options.faults, 'smtp');
  const sizeLimit = options.sizeLimit === undefined ? 0 : octets('sizeLimit', options.sizeLimit);
  const tlsMode = oneOfOption('tls', options.tls, ['off', 'starttls', 'implicit'] as const) ?? 'off';
  const keep = options.keep ?? Number.POSITIVE_INFINITY;
  const tls = tlsMode === 'off' ? undefined : await mockTls(options.host);
  const received = new ReceivedMessages(keep);
  const server = await startSmtpServer({
    host: '127.0.0.1',
    port: 0,
    sizeLimit,
    ...(options.auth ? { auth: options.auth.required ? 'required' : 'optional', users: options.auth.users } : {}),
    ...(tls ? { tls: tlsMode, certificate: tls.certificate } : {}),
    ...(options.chunking ? { chunking: options.chunking } : {}),
    // The server drops the spool file of a message `keep` lets go.
    keep,
    spool: 'on',
    ...(options.signal ? { signal: options.signal } : {}),
    onMessage: received.onMessage,
  });
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    faults,
    // Finished sessions too, as `serve --keep` does: a long run holds what it was asked to keep.
    keep,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
  }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const mock = received.attach(proxy, async () => {
    await proxy.close();
    await server.close();
  });
  // Implicit TLS from the first octet: the scheme says so (RFC 8314 §3.3, submissions on 465).
  return Object.assign(mock, tls ? { ca: tls.ca, ...(tlsMode === 'implicit' ? { url: mock.url.replace(/^smtp:/, 'smtps:') } : {}) } : {});
}
