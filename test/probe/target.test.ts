/** Probe targets: parsing, and the one-line errors for targets that cannot be probed. Loopback only. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { openBlackhole } from '../../src/proxy/blackhole.js';
import { runProbe } from '../../src/probe/run.js';
import { describeTarget, parseTarget, reachTarget, redactUrl, resolveTarget, TargetError } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS } from '../../src/probe/types.js';

/** A loopback port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function error(fn: () => unknown): TargetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TargetError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

async function rejection(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof TargetError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('probe targets', () => {
  it.each([
    ['smtp://mail.example.test', { protocol: 'smtp', host: 'mail.example.test', port: 25 }],
    ['smtp://mail.example.test:587', { protocol: 'smtp', host: 'mail.example.test', port: 587 }],
    ['SMTP://127.0.0.1:2525/', { protocol: 'smtp', host: '127.0.0.1', port: 2525 }],
    ['smtp://[::1]:25', { protocol: 'smtp', host: '::1', port: 25 }],
    ['smtp://alice:p%40ss@127.0.0.1:587', { protocol: 'smtp', host: '127.0.0.1', port: 587, user: 'alice', password: 'p@ss' }],
    ['ftp://ftp.example.test', { protocol: 'ftp', host: 'ftp.example.test', port: 21, user: 'anonymous', password: 'wireprobe@example.invalid' }],
    ['ftp://bob:se%3Acret%20pw@127.0.0.1:2121', { protocol: 'ftp', host: '127.0.0.1', port: 2121, user: 'bob', password: 'se:cret pw' }],
    ['ftp://us%40er@127.0.0.1', { protocol: 'ftp', host: '127.0.0.1', port: 21, user: 'us@er', password: '' }],
  ])('parses %s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  it.each([
    [
      'imap://mail.example.test',
      'unknown scheme "imap://" in "imap://mail.example.test": expected smtp[s]://host[:port] or ftp[s]://[user[:password]@]host[:port]',
    ],
    ['mail.example.test:25', 'bad target "mail.example.test:25": expected smtp[s]://host[:port] or ftp[s]://[user[:password]@]host[:port]'],
    ['smtp://mail.example.test ', 'unknown host "mail.example.test ": a host name has no spaces'],
    ['smtp://mail.example.test :587', 'unknown host "mail.example.test ": a host name has no spaces'],
    ['smtp://mail.example.test:99999', 'bad port "99999" in "smtp://mail.example.test:99999": expected 1 to 65535'],
    ['smtp://mail.example.test:0', 'bad port "0" in "smtp://mail.example.test:0": expected 1 to 65535'],
    ['smtp://mail.example.test:smtp', 'bad port "smtp" in "smtp://mail.example.test:smtp": expected 1 to 65535'],
    ['smtp://:25', 'bad target "smtp://:25": no host'],
    [
      'smtp://mail.example.test/inbox',
      'bad target "smtp://mail.example.test/inbox": a path, query or fragment is not allowed (expected smtp[s]://host[:port] or ftp[s]://[user[:password]@]host[:port])',
    ],
    ['ftp://bob:hunter2@ftp.example.test:0', 'bad port "0" in "ftp://bob:***@ftp.example.test:0": expected 1 to 65535'],
    ['ftp://bob:%zz@ftp.example.test', 'bad password in the target: broken %-escape'],
  ])('rejects %j with one line', (text, message) => {
    const e = error(() => parseTarget(text));
    expect(e.message).toBe(message);
    expect(e.code).toBe('EBADTARGET');
    expect(e.message).not.toContain('hunter2');
  });

  it('shows targets without the password, and without the anonymous user', () => {
    expect(describeTarget(parseTarget('ftp://bob:hunter2@127.0.0.1'))).toBe('ftp://bob@127.0.0.1:21');
    expect(describeTarget(parseTarget('ftp://127.0.0.1'))).toBe('ftp://127.0.0.1:21');
    expect(describeTarget(parseTarget('smtp://[::1]'))).toBe('smtp://[::1]:25');
    expect(redactUrl('ftp://bob:hunter2@host:21')).toBe('ftp://bob:***@host:21');
    // A raw password with "/", "?" or "#" in it: the error about the path must not echo it.
    for (const secret of ['pa/ss', 'p#w', 'p?w']) {
      expect(redactUrl(`ftp://bob:${secret}@host`)).toBe('ftp://bob:***@host');
      expect(() => parseTarget(`ftp://bob:${secret}@host`)).toThrow(/^bad target "ftp:\/\/bob:\*\*\*@host": /);
    }
  });

  it('never echoes a password behind a user name that holds "@" (the user info runs to the last "@")', () => {
    const url = 'ftp://bob@corp.test:S3cretPW@127.0.0.1:abc';
    expect(redactUrl(url)).toBe('ftp://bob@corp.test:***@127.0.0.1:abc');
    expect(() => parseTarget(url)).toThrow('bad port "abc" in "ftp://bob@corp.test:***@127.0.0.1:abc": expected 1 to 65535');
    expect(parseTarget('ftp://bob%40corp.test:S3cretPW@127.0.0.1')).toMatchObject({ user: 'bob@corp.test', password: 'S3cretPW' });
    expect(redactUrl('ftp://bob@corp.test@127.0.0.1')).toBe('ftp://bob@corp.test@127.0.0.1');
  });

  it('takes the password from elsewhere (--password-env/--password-file) only for a URL naming a user and no password', () => {
    expect(parseTarget('ftp://bob@127.0.0.1', 'from-env')).toMatchObject({ user: 'bob', password: 'from-env' });
    expect(parseTarget('smtp://joe@127.0.0.1:2525', 'from-file')).toMatchObject({ user: 'joe', password: 'from-file', port: 2525 });
    expect(() => parseTarget('ftp://bob:other@127.0.0.1', 'from-env')).toThrow(
      /^bad target "ftp:\/\/bob:\*\*\*@127\.0\.0\.1": with --password-env or --password-file, name the user and no password/,
    );
    expect(() => parseTarget('ftp://127.0.0.1', 'from-env')).toThrow(/name the user and no password/);
  });

  it('names a host that does not resolve, exactly as given', async () => {
    const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const e = await rejection(resolveTarget({ protocol: 'smtp', host: 'mail.example.test', port: 25 }, 1_000, notFound));
    expect(e.message).toBe('unknown host "mail.example.test" (ENOTFOUND)');
    expect(e.code).toBe('ENOTFOUND');
  });

  it('bounds a name lookup that never answers', async () => {
    const never = (): Promise<never> => new Promise(() => undefined);
    const e = await rejection(resolveTarget({ protocol: 'smtp', host: 'slow.example.test', port: 25 }, 200, never));
    expect(e.message).toBe('unknown host "slow.example.test": no DNS answer within 200 ms');
  });

  it('reports a refused port in one line, before any check runs', async () => {
    const port = await closedPort();
    const e = await rejection(runProbe(parseTarget(`smtp://127.0.0.1:${port}`), DEFAULT_PROBE_LIMITS));
    expect(e.message).toBe(`cannot connect to 127.0.0.1:${port}: connection refused (nothing listens on port ${port})`);
    expect(e.code).toBe('ECONNREFUSED');
  });

  it('reports a port that never answers as a timeout within the bound', async () => {
    const hole = await openBlackhole('127.0.0.1');
    try {
      const e = await rejection(reachTarget(parseTarget(`smtp://127.0.0.1:${hole.port}`), 500));
      expect(e.message).toBe(`cannot connect to 127.0.0.1:${hole.port}: no answer within 500 ms (timeout; a firewall may drop the packets)`);
      expect(e.code).toBe('ETIMEDOUT');
    } finally {
      await hole.close();
    }
  });
});
