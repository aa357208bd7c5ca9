/**
 * `startFtp`: the mock FTP server behind the fault proxy (data connections through it too), as `serve
 * ftp` composes them, for a test.
 *
 *   client ──control + data──► fault proxy (url, faults, sessions) ──► mock FTP server (spool) ──► uploads
 *
 * An upload is tied to its proxied control connection by the proxy's port toward the mock.
 */
import { startFtpServer } from '../../servers/ftp.js';
import { startProxy } from '../proxy/proxy.js';
import { WireprobeError } from '../util/errors.js';
import { booleanOption, checkCommon, COMMON_OPTIONS, knownOptions, oneOfOption, startFaults } from './options.js';
import { ReceivedUploads } from './received.js';
import { mockTls } from './tls.js';
import type { FtpMock, StartFtpOptions } from './types.js';

/** Preloaded files as the mock takes them: Buffers, strings as UTF-8. */
function preload(files: StartFtpOptions['files']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [path, content] of Object.entries(files ?? {})) {
    if (typeof content !== 'string' && !Buffer.isBuffer(content))
      throw new WireprobeError(`files: the content of ${JSON.stringify(path)} must be a string or a Buffer`, 'EUSAGE');
    out[path] = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  }
  return out;
}

/**
 * Starts a mock FTP server behind the fault proxy on 127.0.0.1 (a free port unless `port` is given).
 * @throws FaultSyntaxError for a fault that does not parse; WireprobeError (EUSAGE) for a bad option.
 */
const FTP_OPTIONS: Record<keyof StartFtpOptions, true> = {
  ...COMMON_OPTIONS,
  users: true,
  anonymous: true,
  files: true,
  active: true,
  epsv: true,
  tls: true,
  requireTlsReuse: true,
  protP: true,
  requireTls: true,
};

export async function startFtp(options: StartFtpOptions = {}): Promise<FtpMock> {
  knownOptions('startFtp', options, FTP_OPTIONS);
  checkCommon(options);
  oneOfOption('anonymous', options.anonymous, ['off', 'read', 'write'] as const);
  oneOfOption('active', options.active, ['on', 'off'] as const);
  oneOfOption('epsv', options.epsv, ['on', 'off', 'unknown'] as const);
  const faults = startFaults(options.faults, 'ftp');
  const files = preload(options.files);
  const tlsMode = oneOfOption('tls', options.tls, ['off', 'explicit', 'implicit'] as const) ?? 'off';
  const ftps = {
    ...(booleanOption('requireTlsReuse', options.requireTlsReuse) ? { requireTlsReuse: true } : {}),
    ...(booleanOption('requireTls', options.requireTls) ? { requireTls: true } : {}),
    ...(oneOfOption('protP', options.protP, ['accept', 'refuse'] as const) === 'refuse' ? { protP: 'refuse' as const } : {}),
  };
  const knob = Object.keys(ftps)[0];
  if (knob && tlsMode === 'off') throw new WireprobeError(`${knob}: needs tls 'explicit' or 'implicit'`, 'EUSAGE');
  const keep = options.keep ?? Number.POSITIVE_INFINITY;
  const tls = tlsMode === 'off' ? undefined : await mockTls(options.host);
  const received = new ReceivedUploads(keep);
  const server = await startFtpServer({
    host: '127.0.0.1',
    port: 0,
    files,
    keep,
    onStored: received.onStored,
    ...(options.users ? { users: options.users } : {}),
    ...(options.anonymous ? { anonymous: options.anonymous } : {}),
    ...(options.active ? { active: options.active } : {}),
    ...(options.epsv ? { epsv: options.epsv } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(tls ? { tls: tlsMode, certificate: tls.certificate, ...ftps } : {}),
  });
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    faults,
    // Finished sessions too, as `serve --keep` does: a long run holds what it was asked to keep.
    keep,
    protocol: 'ftp',
    // The proxy terminates FTPS with the mock's own certificate (src/proxy/ftps.ts): faults act inside TLS.
    ...(tls ? { tls: { mode: tlsMode === 'implicit' ? ('implicit' as const) : ('starttls' as const), identity: tls.certificate } } : {}),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
  }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const mock = received.attach(
    proxy,
    (path) => server.read(path),
    async () => {
      await proxy.close();
      await server.close();
    },
  );
  // Implicit FTPS from the first octet (port 990 style): the scheme says so.
  return Object.assign(mock, tls ? { ca: tls.ca, ...(tlsMode === 'implicit' ? { url: mock.url.replace(/^ftp:/, 'ftps:') } : {}) } : {});
}
