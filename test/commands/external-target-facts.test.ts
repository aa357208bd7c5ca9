/**
 * `run --target`: what a user's server imposes, learnt when first reached (a STARTTLS requirement, a
 * refused data-connection mode, a slow greeting), and the runs it makes `n/a`. Against the mocks set up
 * as such a server would be; the rules are tested without sockets too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FtpServerOptions, startFtpServer } from '../../servers/ftp.js';
import { type SmtpServerOptions, startSmtpServer } from '../../servers/smtp.js';
import { CLIENTS } from '../../src/clients/index.js';
import { type ExternalFtpTarget, type ExternalSmtpTarget, externalTargets, parseTargetOption } from '../../src/commands/external-targets.js';
import { plannedMessages } from '../../src/commands/target-args.js';
import { ftpFacts, loginDirectory, modeRefused, plainTextRefused, pwdPath, slowGreeting, smtpFacts, tlsUnavailable } from '../../src/commands/target-facts.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import type { FtpScenario, Result, Scenario, SmtpScenario } from '../../src/engine/types.js';
import { greetTarget } from '../../src/probe/target.js';
import { inProcess as cli } from '../helpers/in-process.js';
import { contentOf } from '../../src/util/content.js';
import { runTarget } from '../helpers/target-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-target-facts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function results(file: string): Promise<Result[]> {
  return (JSON.parse(await readFile(file, 'utf8')) as { results: Result[] }).results;
}

const STARTTLS_FIRST = '"530 5.7.0 Must issue a STARTTLS command first"';
/** What the mock FTP server without FTPS answers to AUTH TLS. */
const NO_FTPS = 'AUTH TLS got "502 Command not supported"';

const smtp = (name: string, more: Partial<SmtpScenario> = {}): SmtpScenario => ({
  id: `x/${name}`,
  suite: 'x',
  title: name,
  protocol: 'smtp',
  expect: { client: 'delivers', rule: 'r' },
  messageBytes: 1024,
  ...more,
});

describe('the rules, without sockets', () => {
  it.each([
    [600, {}, undefined, undefined],
    [2_500, {}, undefined, undefined],
    [2_501, {}, undefined, 5_000],
    [501, { timeouts: { greeting: 1_000 } }, undefined, 1_000],
    [501, { timeouts: { socket: 1_000 } }, undefined, 1_000],
    [500, { timeouts: { connect: 1_000 } }, undefined, undefined],
    [1_300, { server: { greetingDelayMs: 2_500 } }, undefined, 5_000],
    [1_200, { server: { greetingDelayMs: 2_500 } }, undefined, undefined],
    [5_000, {}, true, 5_000],
  ] as const)('a greeting of %i ms against %j (none: %s): n/a naming a %s ms timeout', (ms, more, none, timeout) => {
    const reason = slowGreeting(smtp('s', more), { ms, ...(none ? { none } : {}) });
    if (timeout === undefined) return expect(reason).toBeUndefined();
    const took = none ? `sent no greeting within ${ms} ms` : `'s greeting took ${ms} ms`;
    expect(reason).toMatch(new RegExp(`^the server${took} when first reached, the scenario's client timeout is ${timeout} ms[ :(]`));
  });

  it('makes only the runs without TLS n/a where STARTTLS is required', () => {
    const target = { starttlsRequired: STARTTLS_FIRST };
    expect(plainTextRefused(smtp('plain'), target)).toBe(
      `needs MAIL in plain text, and the server requires STARTTLS first (MAIL in plain text got ${STARTTLS_FIRST} when first reached, RFC 3207 §4)`,
    );
    for (const tls of ['starttls', 'starttls-verify', 'implicit'] as const) expect(plainTextRefused(smtp('tls', { tls }), target)).toBeUndefined();
    expect(plainTextRefused(smtp('plain'), {})).toBeUndefined();
  });

  it('makes the FTP runs whose client starts TLS n/a where AUTH TLS was refused, and every implicit one', () => {
    const ftp = (tls: FtpScenario['tls'], server?: FtpScenario['server']): FtpScenario =>
      ({ ...smtp('f'), protocol: 'ftp', ftp: { direction: 'upload' }, ...(tls ? { tls } : {}), ...(server ? { server } : {}) }) as FtpScenario;
    const refused = { noAuthTls: NO_FTPS };
    for (const tls of ['starttls', 'starttls-verify'] as const)
      expect(tlsUnavailable(ftp(tls), refused)).toBe(`needs AUTH TLS (RFC 4217 §4), which the server refused when first reached (${NO_FTPS})`);
    expect(tlsUnavailable(ftp('starttls'), {})).toBeUndefined();
    expect(tlsUnavailable(ftp(undefined), refused)).toBeUndefined();
    expect(tlsUnavailable(ftp('implicit-verify'), {})).toBe(
      'needs implicit FTPS (TLS from the first octet), and an ftp:// target speaks FTP in plain text first',
    );
    // A server that offers no FTPS is that scenario's point: it runs where AUTH TLS is refused, not where it was taken.
    expect(tlsUnavailable(ftp('starttls-verify', { ftps: 'off' }), refused)).toBeUndefined();
    expect(tlsUnavailable(ftp('starttls-verify', { ftps: 'off' }), { authTls: true })).toBe(
      'needs a server that offers no FTPS, and the server took AUTH TLS when first reached',
    );
    expect(tlsUnavailable(ftp('starttls-verify'), { authTls: true })).toBeUndefined();
  });

  it('makes only the runs in the refused mode n/a', () => {
    const target = { activeRefused: 'PORT got "502 no", EPRT got "502 no"' };
    expect(modeRefused(target, 'active')).toMatch(/^needs active mode, which the server refused when first reached \(PORT got "502 no", EPRT got "502 no"\)/);
    expect(modeRefused(target, 'passive')).toBeUndefined();
    expect(modeRefused({}, 'active')).toBeUndefined();
  });

  it('puts no file where passive mode was refused (wireprobe puts it in passive mode): a download is n/a', async () => {
    const passiveRefused = 'PASV got "500 no", EPSV got "500 no"';
    // Port 1: nothing may be connected to.
    const target: ExternalFtpTarget = { ...(parseTargetOption('ftp://bob:pw@127.0.0.1:1/') as ExternalFtpTarget), passiveRefused };
    const download: FtpScenario = { ...smtp('get'), protocol: 'ftp', ftp: { direction: 'download' } } as FtpScenario;
    expect(await externalTargets([target]).startFtp(target.name, download, { 'get.bin': contentOf(Buffer.from('x')) }, 4, 'active')).toEqual({
      na: `wireprobe puts the scenario's file there in passive mode, which the server refused when first reached (${passiveRefused})`,
    });
  });

  it('counts no message for the runs these facts make n/a', () => {
    const scenarios: Scenario[] = [smtp('plain'), smtp('tls', { tls: 'starttls' }), smtp('quick', { tls: 'starttls', timeouts: { greeting: 1_000 } })];
    const nodemailer = CLIENTS.filter((c) => c.name === 'nodemailer');
    expect(plannedMessages(scenarios, nodemailer)).toBe(3);
    expect(plannedMessages(scenarios, nodemailer, { starttlsRequired: STARTTLS_FIRST })).toBe(2);
    expect(plannedMessages(scenarios, nodemailer, { starttlsRequired: STARTTLS_FIRST, greetingTime: { ms: 700 } })).toBe(1);
  });
});

describe('what an SMTP target requires, asked in one session', () => {
  it.each([
    ['STARTTLS required', { tls: 'starttls', plainMail: 'refuse' }, { starttlsRequired: STARTTLS_FIRST }],
    ['STARTTLS offered, not required', { tls: 'starttls' }, {}],
    ['AUTH required, in plain text and inside TLS', { tls: 'starttls', auth: 'required' }, { authRequired: true }],
    [
      'AUTH required and offered only inside TLS',
      { tls: 'starttls', auth: 'required', plainAuth: 'hide' },
      { authRequired: true, starttlsRequired: '"530 Error: authentication Required", and AUTH is offered only inside TLS' },
    ],
    ['neither, no STARTTLS', {}, { noStarttls: true }],
    ['AUTH required, no STARTTLS', { auth: 'required' }, { authRequired: true, noStarttls: true }],
  ] as const)('%s', async (_name, options: SmtpServerOptions, facts) => {
    const server = await startSmtpServer(options);
    try {
      const target = parseTargetOption(`smtp://127.0.0.1:${server.port}`) as ExternalSmtpTarget;
      expect(await smtpFacts(target)).toEqual(facts);
      expect(server.messages).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('which data-connection modes an FTP target refuses, asked in the greeting session', () => {
  it.each([
    // The mock's login directory is its root, as a chrooted login's is (PWD: 257 "/").
    [
      'active refused',
      { active: 'off' },
      { noAuthTls: NO_FTPS, home: '/', activeRefused: 'PORT got "502 Command blacklisted: PORT", EPRT got "502 Command blacklisted: EPRT"' },
    ],
    [
      'passive refused',
      { passive: 'off' },
      { noAuthTls: NO_FTPS, home: '/', passiveRefused: 'PASV got "502 Command blacklisted: PASV", EPSV got "502 Command blacklisted: EPSV"' },
    ],
    ['only EPSV refused', { epsv: 'off' }, { noAuthTls: NO_FTPS, home: '/' }],
    ['both accepted', {}, { noAuthTls: NO_FTPS, home: '/' }],
    // AUTH TLS taken, on a connection of its own.
    [
      'FTPS, passive refused',
      { tls: 'explicit', passive: 'off' },
      { authTls: true, home: '/', passiveRefused: 'PASV got "502 Command blacklisted: PASV", EPSV got "502 Command blacklisted: EPSV"' },
    ],
  ] as const)('%s', async (_name, options: FtpServerOptions, facts) => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', ...options });
    try {
      const target = parseTargetOption(`ftp://bob:pw@127.0.0.1:${server.port}/`) as ExternalFtpTarget;
      const greeted = await greetTarget({ protocol: 'ftp', host: '127.0.0.1', port: server.port }, 5_000, (conn, reply) => ftpFacts(conn, reply, target));
      expect(greeted.after).toEqual(facts);
      expect(greeted.greeting).toMatch(/^220 /);
      expect(server.files).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['"/home/bob" is the current directory', '/home/bob'],
    ['"/" is current directory.', '/'],
    ['"/a ""quoted"" name" created', '/a "quoted" name'],
    ['"/srv/ftp"', '/srv/ftp'],
    // Not an absolute path in quotes: no login directory learnt.
    ['/home/bob is current directory', undefined],
    ['"home/bob" is current directory', undefined],
    ['"/unterminated', undefined],
  ])('reads the login directory of a 257 %s', (text, dir) => {
    expect(pwdPath(text)).toBe(dir);
  });

  it('reads it from the first line of a 257 on several lines, and from no other code', () => {
    const reply = (code: number, lines: string[]) => ({ code, lines, raw: lines, malformed: false, bareLf: false });
    expect(loginDirectory(reply(257, ['"/home/bob" is the current directory', 'End']))).toBe('/home/bob');
    expect(loginDirectory(reply(550, ['"/home/bob" is not for you']))).toBeUndefined();
  });

  it('learns no login directory when PWD is refused, and the runs whose files go under it are n/a', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off' });
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, protocol: 'ftp', faults: [parseFault('reply 550 before PWD')] });
    try {
      const target = parseTargetOption(`ftp://bob:pw@127.0.0.1:${proxy.port}/in`) as ExternalFtpTarget;
      const greeted = await greetTarget({ protocol: 'ftp', host: '127.0.0.1', port: proxy.port }, 5_000, (conn, reply) => ftpFacts(conn, reply, target));
      expect(greeted.after).toEqual({ noAuthTls: NO_FTPS });
      const put: FtpScenario = { ...smtp('put'), protocol: 'ftp', ftp: { direction: 'upload' } } as FtpScenario;
      expect(await externalTargets([{ ...target, ...greeted.after }]).startFtp(target.name, put, {}, 4, 'passive')).toEqual({
        na: `the files go in "in" under the login directory, which is unknown: wireprobe's first session got no 257 naming it to PWD after logging in; give the path from the root instead (ftp://host/%2Fpath)`,
      });
      // A path from the root needs no login directory.
      const absolute = parseTargetOption(`ftp://bob:pw@127.0.0.1:${proxy.port}/%2Fin`) as ExternalFtpTarget;
      const started = await externalTargets([absolute]).startFtp(absolute.name, put, {}, 4, 'passive');
      expect(started).toMatchObject({ target: { login: { dir: '/in' } } });
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('knows nothing of the session when the login fails, and still whether AUTH TLS is taken', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', active: 'off' });
    try {
      const target = parseTargetOption(`ftp://bob:wrong@127.0.0.1:${server.port}/`) as ExternalFtpTarget;
      const greeted = await greetTarget({ protocol: 'ftp', host: '127.0.0.1', port: server.port }, 5_000, (conn, reply) => ftpFacts(conn, reply, target));
      expect(greeted.after).toEqual({ noAuthTls: NO_FTPS });
    } finally {
      await server.close();
    }
  });

  it('times the greeting, and says when none came', async () => {
    const server = await startFtpServer({ greetingDelayMs: 300 });
    try {
      const timed = await greetTarget({ protocol: 'ftp', host: '127.0.0.1', port: server.port }, 5_000);
      expect(timed.greetingTime?.ms).toBeGreaterThanOrEqual(300);
      expect(timed.greetingTime?.none).toBeUndefined();
      const late = await greetTarget({ protocol: 'ftp', host: '127.0.0.1', port: server.port }, 100);
      expect(late).toMatchObject({ greetingTime: { none: true } });
      expect(late.greeting).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server that requires STARTTLS', () => {
  it('makes the runs in plain text n/a naming the 530, and runs the STARTTLS ones', async () => {
    const server = await startSmtpServer({ tls: 'starttls', plainMail: 'refuse' });
    try {
      const scenarios = join(dir, 'tls.yaml');
      await writeFile(
        scenarios,
        'name: tls\nprotocol: smtp\nscenarios:\n  - name: plain\n    size: 1KiB\n  - name: secured\n    size: 1KiB\n    tls: starttls\n',
      );
      const json = join(dir, 'tls.json');
      const target = `smtp://127.0.0.1:${server.port}`;
      const { code, stderr } = await cli(runTarget(scenarios, 'nodemailer', `tls=${target}`, '--json', json));
      expect(code).toBe(0);
      expect(stderr).toBe(
        `wireprobe: ${target} when first reached: STARTTLS required (MAIL in plain text got ${STARTTLS_FIRST})\n` +
          `wireprobe: this run sends 1 message(s): 1 to ${target} (--max-messages 25)\n`,
      );
      const all = await results(json);
      const cell = (name: string) => all.find((r) => r.id === `tls/${name}/nodemailer@tls`)!;
      expect(cell('plain')).toMatchObject({ verdict: 'n/a' });
      expect(cell('plain').reason).toBe(
        `needs MAIL in plain text, and the server requires STARTTLS first (MAIL in plain text got ${STARTTLS_FIRST} when first reached, RFC 3207 §4)`,
      );
      expect(cell('secured')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' } });
      expect(server.messages.map((m) => m.bytes)).toEqual([1024]);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against an FTP server that refuses a data-connection mode', () => {
  it.each([
    ['active', { active: 'off' }, 'PORT got "502 Command blacklisted: PORT", EPRT got "502 Command blacklisted: EPRT"'],
    ['passive', { passive: 'off' }, 'PASV got "502 Command blacklisted: PASV", EPSV got "502 Command blacklisted: EPSV"'],
  ] as const)('makes the %s-mode runs n/a naming the replies, and runs the others', async (mode, options: FtpServerOptions, replies) => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', ...options });
    try {
      const scenarios = join(dir, `${mode}.yaml`);
      await writeFile(scenarios, 'name: modes\nprotocol: ftp\nscenarios:\n  - name: put\n    size: 1KiB\n');
      const json = join(dir, `${mode}.json`);
      const target = `ftp://bob:pw@127.0.0.1:${server.port}/`;
      const { code, stderr } = await cli(['run', '--scenarios', scenarios, '--client', 'curl', '--target', `box=${target}`, '--json', json]);
      expect(code).toBe(0);
      expect(stderr).toBe(`wireprobe: ftp://bob:***@127.0.0.1:${server.port}/ when first reached: ${mode} mode refused (${replies})\n`);
      const all = await results(json);
      const other = mode === 'active' ? 'passive' : 'active';
      const cell = (m: string) => all.find((r) => r.id === `modes/put/curl/${m}@box`)!;
      expect(cell(mode)).toMatchObject({ verdict: 'n/a' });
      expect(cell(mode).reason).toBe(
        `needs ${mode} mode, which the server refused when first reached (${replies}): every client would fail on its policy, not on the scenario's fault`,
      );
      // wireprobe reads uploads back in passive mode: where it is refused, what arrived cannot be seen.
      const sink = mode === 'active' ? { copies: 1, intact: true } : { verifiable: false };
      expect(cell(other)).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink });
    } finally {
      await server.close();
    }
  });
});

/**
 * `run --suite ftp/tls --client basic-ftp` against the mock as a --target (`box`), set up with
 * `options`: the exit code, stderr, each cell by scenario name, and the mock's files.
 */
async function ftpsRun(options: FtpServerOptions, name: string) {
  const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', ...options });
  try {
    const json = join(dir, `${name}.json`);
    const target = `box=ftp://bob:pw@127.0.0.1:${server.port}/`;
    const { code, stderr } = await cli(['run', '--suite', 'ftp/tls', '--client', 'basic-ftp', '--target', target, '--json', json]);
    const all = await results(json);
    const cell = (scenario: string) => all.find((r) => r.id === `ftp/tls/${scenario}/basic-ftp/passive@box`);
    return { code, stderr, all, cell, port: server.port, files: server.files };
  } finally {
    await server.close();
  }
}

describe('wireprobe run --target against an FTP server without FTPS', () => {
  it('makes the FTPS runs n/a naming the reply to AUTH TLS, where they read as the client failing before', async () => {
    const { code, stderr, all, cell, port, files } = await ftpsRun({}, 'no-ftps');
    expect(code).toBe(0);
    expect(stderr).toBe(`wireprobe: ftp://bob:***@127.0.0.1:${port}/ when first reached: no FTPS (${NO_FTPS})\n`);
    expect(all.length).toBeGreaterThan(0);
    // Only the scenario whose point is a server without FTPS runs: the client must not log in in clear text.
    expect(all.filter((r) => r.verdict !== 'n/a').map((r) => [r.id, r.verdict])).toEqual([['ftp/tls/no-ftps/basic-ftp/passive@box', 'conformant']]);
    expect(cell('clean')?.reason).toBe(`needs AUTH TLS (RFC 4217 §4), which the server refused when first reached (${NO_FTPS})`);
    expect(cell('clean-implicit')?.reason).toBe('needs implicit FTPS (TLS from the first octet), and an ftp:// target speaks FTP in plain text first');
    expect(files).toEqual([]);
  });
});

describe('wireprobe run --target against an FTP server with FTPS', () => {
  it('runs the FTPS scenarios, and makes n/a the one whose point is a server without FTPS', async () => {
    const { code, stderr, cell } = await ftpsRun({ tls: 'explicit' }, 'ftps');
    expect([code, stderr]).toEqual([0, '']);
    expect(cell('no-ftps')).toMatchObject({ verdict: 'n/a', reason: 'needs a server that offers no FTPS, and the server took AUTH TLS when first reached' });
    expect(cell('clean')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' } });
  });
});

describe('wireprobe run --target against servers slow to greet', () => {
  it('makes the SMTP runs whose client timeouts the greeting comes within half of n/a, and runs the others', async () => {
    const server = await startSmtpServer({ bannerDelayMs: 600 });
    try {
      const scenarios = join(dir, 'slow.yaml');
      const quick = '    timeouts: { connect: 1s, greeting: 1s, socket: 1s }\n';
      await writeFile(scenarios, `name: slow\nprotocol: smtp\nscenarios:\n  - name: patient\n    size: 1KiB\n  - name: quick\n    size: 1KiB\n${quick}`);
      const json = join(dir, 'slow.json');
      const target = `smtp://127.0.0.1:${server.port}`;
      const { code, stderr } = await cli(runTarget(scenarios, 'nodemailer', `slow=${target}`, '--json', json));
      expect(code).toBe(0);
      expect(stderr).toMatch(
        new RegExp(`^wireprobe: smtp://127\\.0\\.0\\.1:${server.port} when first reached: greeting after \\d+ ms\\nwireprobe: this run sends 1 message\\(s\\)`),
      );
      const all = await results(json);
      const cell = (name: string) => all.find((r) => r.id === `slow/${name}/nodemailer@slow`)!;
      expect(cell('quick')).toMatchObject({ verdict: 'n/a' });
      expect(cell('quick').reason).toMatch(/^the server's greeting took \d+ ms when first reached, the scenario's client timeout is 1000 ms: /);
      expect(cell('patient')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' } });
      expect(server.messages).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('makes the FTP runs n/a too, in both modes', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', greetingDelayMs: 600 });
    try {
      const scenarios = join(dir, 'slow-ftp.yaml');
      await writeFile(scenarios, 'name: slowftp\nprotocol: ftp\nscenarios:\n  - name: put\n    size: 1KiB\n    timeouts: { socket: 1s }\n');
      const json = join(dir, 'slow-ftp.json');
      const target = `ftp://bob:pw@127.0.0.1:${server.port}/`;
      const { code, stderr } = await cli(['run', '--scenarios', scenarios, '--client', 'curl', '--target', `slow=${target}`, '--json', json]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/when first reached: greeting after \d+ ms\n$/);
      const all = await results(json);
      expect(all.map((r) => r.verdict)).toEqual(['n/a', 'n/a']);
      for (const r of all) expect(r.reason).toMatch(/^the server's greeting took \d+ ms when first reached, the scenario's client timeout is 1000 ms: /);
      expect(server.files).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
