/**
 * `--target`: the suites against a server the user already runs. Here that server is one of the mocks,
 * started directly as a "staging" server would be, and driven through the CLI's `main` in process with
 * its JSON report read back; the count and the parser are tested without sockets.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { startBrokenSmtp } from '../helpers/broken-smtp.js';
import { inProcess } from '../helpers/in-process.js';
import { SUITES } from '../../suites/index.js';
import { CLIENTS } from '../../src/clients/index.js';
import { type ExternalFtpTarget, externalTargets, notForTarget, parseTargetOption } from '../../src/commands/external-targets.js';
import { plannedMessages } from '../../src/commands/target-args.js';
import type { FtpScenario, Result } from '../../src/engine/types.js';
import type { Provenance } from '../../src/report/provenance.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { judge, NOT_VERIFIABLE } from '../../src/engine/verdict.js';
import { digestOf } from '../../src/util/digest.js';
import { contentOf } from '../../src/util/content.js';
import { ENVELOPE, runTarget } from '../helpers/target-run.js';

const SECRET = 'S3cret-target-pw';

/** The CLI in process, with `env` for --password-env. */
const cli = (args: readonly string[], env: Record<string, string> = {}) => inProcess(args, undefined, env);

const suite = (name: string) => SUITES.find((s) => s.name === name)!.scenarios;
const clients = (...names: string[]) => CLIENTS.filter((c) => names.includes(c.name));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-target-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function report(file: string): Promise<{ results: Result[]; provenance: Provenance }> {
  return JSON.parse(await readFile(file, 'utf8'));
}

describe('counting the messages a run sends to a target', () => {
  it.each([
    ['smtp/resets', ['nodemailer'], 26],
    ['smtp/resets', ['nodemailer', 'nodemailer-pool'], 52],
    // Two messages per run; the pooled and the per-message scenarios each fit one of the two clients.
    ['smtp/restart', ['nodemailer', 'nodemailer-pool'], 2 * suite('smtp/restart').length],
    ['ftp/resets', ['basic-ftp'], 0],
  ])('%s with %j sends %i', (name, names, count) => {
    expect(plannedMessages(suite(name), clients(...names))).toBe(count);
  });

  it('leaves out a client that composes its own message where a --maildir is read (its runs are n/a there)', () => {
    const resets = suite('smtp/resets');
    const [nodemailer] = clients('nodemailer');
    const composer = { ...nodemailer!, name: 'composer', composes: true } as typeof nodemailer & object;
    expect(plannedMessages(resets, [composer])).toBe(plannedMessages(resets, [nodemailer!]));
    expect(plannedMessages(resets, [composer], { maildir: '/var/mail/Maildir' })).toBe(0);
  });

  it('counts a run per --tls variant of each plaintext scenario and per --family, leaving out the variants a target rules out', () => {
    const resets = suite('smtp/resets');
    const once = plannedMessages(resets, clients('nodemailer'));
    const all = { tls: ['none', 'starttls', 'implicit'] as const, families: [4, 6] as const };
    // Implicit TLS cannot reach an smtp:// target (n/a): none and starttls count.
    expect(plannedMessages(resets, clients('nodemailer'), {}, all)).toBe(once * 2 * 2);
    expect(plannedMessages(resets, clients('nodemailer'), { starttlsRequired: '"530 5.7.0 Must issue a STARTTLS command first"' }, all)).toBe(once * 2);
    expect(plannedMessages(resets, clients('nodemailer'), { noStarttls: true }, all)).toBe(once * 2);
    // Scenarios with a TLS of their own have no variants: one run each, as without --tls.
    const tls = suite('smtp/tls');
    expect(plannedMessages(tls, clients('nodemailer'), {}, { tls: all.tls })).toBe(plannedMessages(tls, clients('nodemailer')));
  });

  it('leaves out the scenarios that need a server knob, which are n/a against a target', () => {
    const limits = suite('smtp/limits').filter((s) => s.protocol === 'smtp');
    const knobbed = limits.filter((s) => s.server?.maxSessions || s.server?.sizeLimit);
    expect(knobbed.length).toBeGreaterThan(0);
    for (const s of knobbed) expect(notForTarget(s)).toMatch(/needs the server set up with .*, which the proxy cannot impose/);
    const delayed = limits.find((s) => s.server?.greetingDelayMs && !s.server.maxSessions);
    expect(delayed && notForTarget(delayed)).toBeUndefined();
    expect(plannedMessages(limits, clients('nodemailer'))).toBe(
      limits.filter((s) => !notForTarget(s) && s.needs !== 'pool').reduce((n, s) => n + (s.sends?.count ?? 1), 0),
    );
  });
});

describe('parsing --target', () => {
  it.each([
    ['smtp://127.0.0.1:2525', { protocol: 'smtp', name: '127.0.0.1:2525', host: '127.0.0.1', port: 2525 }],
    ['staging=smtp://mx.example.test', { protocol: 'smtp', name: 'staging', host: 'mx.example.test', port: 25 }],
    ['smtp://[::1]:25', { name: '[::1]:25', host: '::1' }],
    // RFC 1738 §3.2.2: the path starts at the login directory; an encoded slash first makes it absolute.
    ['ftp://bob:pw@127.0.0.1:21/in/', { protocol: 'ftp', login: { user: 'bob', password: 'pw', dir: 'in' } }],
    ['ftp://bob:pw@127.0.0.1:21/in/../out', { login: { dir: 'out' } }],
    ['ftp://bob:pw@127.0.0.1:21/%2Fsrv/in/', { login: { dir: '/srv/in' } }],
    ['ftp://bob:pw@127.0.0.1:21/%2f', { login: { dir: '/' } }],
    ['ftp://127.0.0.1', { protocol: 'ftp', login: { user: 'anonymous', dir: '' } }],
    ['ftp://127.0.0.1/', { login: { dir: '' } }],
  ])('reads %s', (text, expected) => {
    expect(parseTargetOption(text)).toMatchObject(expected);
  });

  it('takes SMTP AUTH from the URL, or its password from --password-env, and shows the URL without it', () => {
    expect(parseTargetOption(`smtp://bob:${SECRET}@127.0.0.1:587`)).toMatchObject({
      auth: { user: 'bob', password: SECRET },
      shown: 'smtp://bob:***@127.0.0.1:587',
    });
    expect(parseTargetOption('smtp://bob@127.0.0.1:587', SECRET)).toMatchObject({ auth: { user: 'bob', password: SECRET } });
  });
});

describe('wireprobe run --target against a staging SMTP server', () => {
  it('runs smtp/resets with nodemailer logging in with the URL credentials, with the same verdicts as on the mock, and says delivery is not verifiable', async () => {
    const server = await startSmtpServer({ auth: 'required', users: { bob: SECRET } });
    try {
      const json = join(dir, 'smtp.json');
      const target = `staging=smtp://bob:${SECRET}@127.0.0.1:${server.port}`;
      const args = ['run', '--suite', 'smtp/resets', '--client', 'nodemailer', '--target', target, ...ENVELOPE];
      const { code, stdout, stderr } = await cli([...args, '--max-messages', '26', '--json', json]);
      expect(code).toBe(0);
      expect(stderr).toBe(
        `wireprobe: smtp://bob:***@127.0.0.1:${server.port} when first reached: AUTH required (530 to MAIL without it)\n` +
          `wireprobe: this run sends 26 message(s): 26 to smtp://bob:***@127.0.0.1:${server.port} (--max-messages 26)\n`,
      );
      // 26 sent; the 6 BDAT scenarios are n/a for nodemailer (it sends no BDAT).
      expect(stdout).toMatch(/32 scenarios: 24 conformant, 2 deviate, 0 unfired, 0 errors, 6 n\/a/);
      const { results: all, provenance } = await report(json);
      expect(all).toHaveLength(32);
      const results = all.filter((r) => r.verdict !== 'n/a');
      expect(results).toHaveLength(26);
      // No program to ask for its version: what the server said in greeting stands for it.
      expect(provenance.servers.staging).toMatch(/^greeting: 220 \S+ ESMTP/);
      for (const r of results) {
        expect(r.server).toBe('staging');
        expect(r.id).toMatch(/\/nodemailer@staging$/);
        expect(r.sink).toEqual({ copies: 0, intact: true, verifiable: false });
        expect(r.reason.endsWith(`; ${NOT_VERIFIABLE}`)).toBe(true);
      }
      const cell = (name: string) => results.find((r) => r.id === `smtp/resets/${name}/nodemailer@staging`)!;
      expect(cell('reset-after-dot')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'reset', phase: 'dot' } });
      expect(cell('reset-after-dot-reply')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' } });
      expect(cell('reset-after-dot-reply').reason).toMatch(/^reported delivered; /);
      expect(cell('reset-after-quit').verdict).toBe('deviates');
      // The messages went to the user's envelope, each tagged for its own run.
      expect(server.messages.length).toBeGreaterThan(0);
      for (const m of server.messages) expect([m.from, m.to]).toEqual(['me@example.test', ['qa@example.test']]);
      const everything = `${stdout}${stderr}${await readFile(json, 'utf8')}`;
      expect(everything).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server with a size limit', () => {
  it('makes a scenario whose message exceeds the SIZE its EHLO advertises n/a, and runs the others', async () => {
    const server = await startSmtpServer({ sizeLimit: 20_000 });
    try {
      const scenarios = join(dir, 'sized.yaml');
      await writeFile(scenarios, 'name: sized\nprotocol: smtp\nscenarios:\n  - name: small\n    size: 1KiB\n  - name: large\n    size: 64KiB\n');
      const json = join(dir, 'sized.json');
      const target = `limited=smtp://127.0.0.1:${server.port}`;
      const args = runTarget(scenarios, 'nodemailer', target);
      const { code, stderr } = await cli([...args, '--json', json]);
      expect(code).toBe(0);
      expect(stderr).toBe(
        `wireprobe: smtp://127.0.0.1:${server.port} when first reached: SIZE 20000\n` +
          `wireprobe: this run sends 1 message(s): 1 to smtp://127.0.0.1:${server.port} (--max-messages 25)\n`,
      );
      const { results } = await report(json);
      const cell = (name: string) => results.find((r) => r.id === `sized/${name}/nodemailer@limited`)!;
      expect(cell('small')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' } });
      expect(cell('large')).toMatchObject({ verdict: 'n/a' });
      expect(cell('large').reason).toMatch(/needs a message of 65536 octets, and the server's EHLO advertises SIZE 20000/);
      expect(server.messages.map((m) => m.bytes)).toEqual([1024]);
    } finally {
      await server.close();
    }
  });
});

/** A scenario file: a plaintext scenario, and one whose client must reject the proxy's self-signed certificate. */
async function tlsScenarios(): Promise<string> {
  const file = join(dir, 'tls.yaml');
  await writeFile(
    file,
    'name: tls\nprotocol: smtp\nscenarios:\n  - name: plain\n    size: 1KiB\n' +
      '  - name: untrusted\n    size: 1KiB\n    tls: starttls-verify\n    certificate: self-signed\n    expect: { client: fails, rule: RFC 3207 §4.1 }\n',
  );
  return file;
}

describe('wireprobe run --target with TLS', () => {
  it('runs a plaintext scenario as --tls starttls and one whose client must reject the certificate, the proxy presenting the certificates', async () => {
    const server = await startSmtpServer({ tls: 'starttls' });
    try {
      const scenarios = await tlsScenarios();
      const json = join(dir, 'tls.json');
      const target = `tls=smtp://127.0.0.1:${server.port}`;
      const args = runTarget(scenarios, 'nodemailer', target, '--tls', 'all');
      const { code, stderr } = await cli([...args, '--json', json]);
      expect(code).toBe(0);
      // plain in two variants (implicit TLS cannot reach an smtp:// target) and untrusted once, counted though the client sends nothing.
      expect(stderr).toBe(`wireprobe: this run sends 3 message(s): 3 to smtp://127.0.0.1:${server.port} (--max-messages 25)\n`);
      const { results } = await report(json);
      const cells = results.map((r) => [r.id, r.verdict, r.outcome?.kind, r.outcome?.phase]);
      expect(cells).toEqual([
        ['tls/plain/nodemailer@tls', 'conformant', 'delivered', 'dot'],
        ['tls/plain/nodemailer/starttls@tls', 'conformant', 'delivered', 'dot'],
        ['tls/plain/nodemailer/tls@tls', 'n/a', undefined, undefined],
        ['tls/untrusted/nodemailer@tls', 'conformant', 'closed', 'tls'],
      ]);
      expect(results.find((r) => r.id === 'tls/plain/nodemailer/tls@tls')?.reason).toMatch(
        /^needs implicit TLS \(RFC 8314 §3\.3\), and an smtp:\/\/ target speaks SMTP/,
      );
      expect(server.messages).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('makes the STARTTLS runs n/a against a server that offers no STARTTLS, and says so first', async () => {
    const server = await startSmtpServer();
    try {
      const json = join(dir, 'no-starttls.json');
      const scenarios = await tlsScenarios();
      const target = `plain=smtp://127.0.0.1:${server.port}`;
      const args = runTarget(scenarios, 'nodemailer', target, '--tls', 'starttls');
      const { code, stderr } = await cli([...args, '--json', json]);
      expect(code).toBe(0);
      expect(stderr).toBe(
        `wireprobe: smtp://127.0.0.1:${server.port} when first reached: no STARTTLS\n` +
          `wireprobe: this run sends 0 message(s): 0 to smtp://127.0.0.1:${server.port} (--max-messages 25)\n`,
      );
      const { results } = await report(json);
      expect(results.map((r) => [r.id, r.verdict])).toEqual([
        ['tls/plain/nodemailer/starttls@plain', 'n/a'],
        ['tls/untrusted/nodemailer@plain', 'n/a'],
      ]);
      expect(results[0]?.reason).toMatch(/^needs STARTTLS, which the server did not offer, or which failed, when first reached/);
      expect(server.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server with a size limit it does not advertise', () => {
  it("makes a run n/a when the server itself answers 552, not the client's deviation: its own limit, not the scenario's fault", async () => {
    const server = await startBrokenSmtp({ sizeHidden: 20_000 });
    try {
      const scenarios = join(dir, 'hidden.yaml');
      const yaml = ['name: hidden', 'protocol: smtp', 'scenarios:', '  - name: small', '    size: 1KiB', '  - name: large', '    size: 64KiB'];
      await writeFile(scenarios, `${yaml.join('\n')}\n`);
      const json = join(dir, 'hidden.json');
      const target = `quiet=smtp://127.0.0.1:${server.port}`;
      const args = runTarget(scenarios, 'nodemailer', target);
      const { code, stdout } = await cli([...args, '--json', json]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/2 scenarios: 1 conformant, 0 deviate, 0 unfired, 0 errors, 1 n\/a/);
      const { results } = await report(json);
      const cell = (name: string) => results.find((r) => r.id === `hidden/${name}/nodemailer@quiet`)!;
      expect(cell('small')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' } });
      expect(cell('large')).toMatchObject({ verdict: 'n/a', outcome: { kind: 'reply', code: 552, phase: 'dot' } });
      expect(cell('large').reason).toBe(
        "the server itself refused the message (reply 552@dot): a size or storage limit of its own (its EHLO advertises no SIZE), not the scenario's fault; delivery not verifiable: give --maildir DIR to check what arrived",
      );
      expect(server.delivered()).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against an SMTP server at its connection limit', () => {
  it("makes a run n/a when the server itself answers 421 before the fault could act, not the client's deviation", async () => {
    // Postfix over smtpd_client_connection_count_limit greets "421 4.7.0 ... Error: too many connections" and closes.
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume(); // reads what comes (a QUIT), so the client's FIN is seen and the socket closes
      socket.end('421 4.7.0 full.test Error: too many connections from 127.0.0.1\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const scenarios = join(dir, 'full.yaml');
      await writeFile(
        scenarios,
        'name: full\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n  - name: cut\n    size: 1KiB\n    fault: reset after MAIL\n',
      );
      const json = join(dir, 'full.json');
      const args = runTarget(scenarios, 'nodemailer', `full=smtp://127.0.0.1:${port}`);
      expect((await cli([...args, '--json', json])).code).toBe(0);
      const { results } = await report(json);
      for (const name of ['clean', 'cut']) {
        const cell = results.find((r) => r.id === `full/${name}/nodemailer@full`)!;
        expect(cell).toMatchObject({ verdict: 'n/a', outcome: { kind: 'reply', code: 421, phase: 'greeting' } });
        expect(cell.reason).toMatch(/^the server itself closed the session \(reply 421@greeting\) before the scenario's fault could act: a limit of its own/);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('wireprobe run --target against an SMTP server that requires AUTH', () => {
  it('is n/a for every run without a user in the URL, and with one for the clients that cannot log in', async () => {
    const server = await startSmtpServer({ auth: 'required', users: { bob: SECRET } });
    try {
      const scenarios = join(dir, 'login.yaml');
      await writeFile(scenarios, 'name: login\nprotocol: smtp\nscenarios:\n  - name: small\n    size: 1KiB\n');
      // A command client logs in when its template names {user} (the password is in its environment):
      // mailer does not, so it cannot; swaks-cmd does.
      const script = join(dir, 'swaks-auth.sh');
      await writeFile(
        script,
        '#!/bin/sh\nSWAKS_OPT_auth_password="$WIREPROBE_PASSWORD" exec swaks --server "$1" --port "$2" --from "$3" --to "$4" --auth PLAIN --auth-user "$5" --auth-hide-password --data - --silent 2\n',
        { mode: 0o700 },
      );
      const clients = [
        '--client',
        'nodemailer,curl,swaks',
        '--client',
        'cmd:mailer=true {host} {port} {to}',
        '--client',
        `cmd:swaks-cmd=${script} {host} {port} {from} {to} {user}`,
      ];
      const envelope = [...ENVELOPE, '--scenarios', scenarios, ...clients];
      const cell = (results: Result[], client: string) => results.find((r) => r.client === client)!;

      const anonymous = join(dir, 'login-none.json');
      const none = await cli(['run', '--target', `open=smtp://127.0.0.1:${server.port}`, ...envelope, '--json', anonymous]);
      expect(none.code).toBe(0);
      expect(none.stderr).toBe(
        `wireprobe: smtp://127.0.0.1:${server.port} when first reached: AUTH required (530 to MAIL without it)\n` +
          `wireprobe: this run sends 0 message(s): 0 to smtp://127.0.0.1:${server.port} (--max-messages 25)\n`,
      );
      const { results: refused } = await report(anonymous);
      for (const client of ['nodemailer', 'curl', 'swaks', 'mailer', 'swaks-cmd']) {
        expect(cell(refused, client)).toMatchObject({ verdict: 'n/a' });
        expect(cell(refused, client).reason).toMatch(/needs a login: the server requires AUTH \(530 to MAIL without it\), and the --target URL names no user/);
      }

      const named = join(dir, 'login-bob.json');
      const bob = await cli(['run', '--target', `bob=smtp://bob:${SECRET}@127.0.0.1:${server.port}`, ...envelope, '--json', named]);
      expect(bob.code).toBe(0);
      // The clients that log in: curl with the password in a config file, swaks in its environment.
      expect(bob.stderr).toBe(
        `wireprobe: smtp://bob:***@127.0.0.1:${server.port} when first reached: AUTH required (530 to MAIL without it)\n` +
          `wireprobe: this run sends 4 message(s): 4 to smtp://bob:***@127.0.0.1:${server.port} (--max-messages 25)\n`,
      );
      const { results } = await report(named);
      expect(cell(results, 'nodemailer')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' } });
      for (const client of ['curl', 'swaks', 'swaks-cmd'])
        expect(cell(results, client)).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'quit' } });
      expect(cell(results, 'mailer')).toMatchObject({ verdict: 'n/a' });
      expect(cell(results, 'mailer').reason).toMatch(/^mailer cannot be given SMTP AUTH credentials, and bob requires AUTH \(530 to MAIL without it\)/);
      expect(server.messages).toHaveLength(4);
      expect(`${none.stdout}${none.stderr}${bob.stdout}${bob.stderr}${await readFile(named, 'utf8')}`).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});

describe('wireprobe run --target against a staging FTP server', () => {
  it('runs ftp/resets with basic-ftp, verifies uploads by reading them back, and leaves nothing behind', async () => {
    const server = await startFtpServer({ users: { bob: SECRET }, anonymous: 'off' });
    try {
      const json = join(dir, 'ftp.json');
      const target = `ftp://bob@127.0.0.1:${server.port}/`;
      // The default name HOST:PORT ends up in result ids, transcript file names, JUnit and HTML.
      const reports = ['--json', json, '--junit', join(dir, 'ftp.xml'), '--html', join(dir, 'ftp.html'), '--transcripts', join(dir, 'transcripts')];
      const args = ['run', '--suite', 'ftp/resets', '--client', 'basic-ftp', '--target', target, '--password-env', 'PW', ...reports];
      const { code, stdout, stderr } = await cli(args, { PW: SECRET });
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toMatch(/44 scenarios: 22 conformant, 0 deviate, 0 unfired, 0 errors, 22 n\/a/);
      const { results, provenance } = await report(json);
      expect(provenance.servers[`127.0.0.1:${server.port}`]).toMatch(/^greeting: 220 /);
      const passive = results.filter((r) => r.mode === 'passive');
      expect(passive.every((r) => r.verdict === 'conformant' && r.server === `127.0.0.1:${server.port}`)).toBe(true);
      // What the server held was read back over wireprobe's own connection: the whole file, intact.
      expect(passive.find((r) => r.id.startsWith('ftp/resets/reset-after-stor/'))).toMatchObject({
        outcome: { kind: 'delivered' },
        sink: { copies: 1, intact: true },
      });
      // Every upload, whole or cut, was stored under a wireprobe- name and deleted.
      expect(server.files.length).toBeGreaterThan(0);
      for (const f of server.files) expect(f.path).toMatch(/^\/wireprobe-[0-9a-f]{8}-ftp-resets-/);
      const client = new Client();
      try {
        await client.access({ host: '127.0.0.1', port: server.port, user: 'bob', password: SECRET });
        expect(await client.list('/')).toEqual([]);
      } finally {
        client.close();
      }
      const transcript = await readFile(
        join(dir, 'transcripts', 'ftp', 'resets', 'reset-after-stor', 'basic-ftp', `passive@127.0.0.1:${server.port}.txt`),
        'utf8',
      );
      expect(transcript).toMatch(/PASS \*\*\*/);
      expect(await readFile(join(dir, 'ftp.xml'), 'utf8')).toContain(`ftp/resets/reset-after-stor/basic-ftp/passive@127.0.0.1:${server.port}`);
      const written = [stdout, transcript, ...(await Promise.all(['ftp.json', 'ftp.xml', 'ftp.html'].map((f) => readFile(join(dir, f), 'utf8'))))];
      expect(written.join('')).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});

describe('judging a run whose delivery cannot be verified', () => {
  const base = { expect: { client: 'delivers', rule: 'the rule' }, unfired: false, steps: new Set<string>() } as const;
  const sink = { copies: 0, intact: true, verifiable: false } as const;
  it.each([
    [{ kind: 'delivered', phase: 'quit', bytesSent: 10 }, 'delivers', 'conformant', 'reported delivered; the rule'],
    [{ kind: 'reset', phase: 'dot', bytesSent: 10 }, 'delivers', 'deviates', 'did not deliver (reset@dot); the rule'],
    [{ kind: 'reset', phase: 'dot', bytesSent: 10 }, 'fails', 'conformant', 'reported the failure (reset@dot); the rule'],
    [{ kind: 'delivered', phase: 'quit', bytesSent: 10 }, 'fails', 'deviates', 'reported success although the transaction was cut (quit); the rule'],
  ] as const)('%j with a client that %s: %s, on the outcome alone', (outcome, client, verdict, reason) => {
    const judged = judge({ ...base, expect: { client, rule: 'the rule' }, outcome, sink });
    expect(judged).toEqual({ verdict, reason: `${reason}; ${NOT_VERIFIABLE}` });
  });
});

describe("a user's FTP server whose login directory is not the root", () => {
  it('puts the files where the URL says, from the login directory that PWD named when first reached', async () => {
    // The directories exist, each with a file in it.
    const server = await startFtpServer({
      users: { bob: SECRET },
      anonymous: 'off',
      files: { '/home/bob/in/keep': Buffer.from('x'), '/srv/keep': Buffer.from('x') },
    });
    // Only wireprobe's first look at each target (connections 1 and 2) is told the login directory is /home/bob,
    // as a server that does not chroot its logins (inetutils ftpd) says it; the mock keeps any path.
    const home = { kind: 'reply', code: 257, text: '"/home/bob" is the current directory', at: { before: 'PWD' }, then: 'continue', connection: 1 } as const;
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [home, { ...home, connection: 2 }], protocol: 'ftp' });
    try {
      const scenarios = join(dir, 'home.yaml');
      await writeFile(scenarios, 'name: home\nprotocol: ftp\nscenarios:\n  - name: put\n    size: 1KiB\n');
      const json = join(dir, 'home.json');
      const targets = ['--target', `rel=ftp://bob@127.0.0.1:${proxy.port}/in`, '--target', `abs=ftp://bob@127.0.0.1:${proxy.port}/%2Fsrv`];
      const { code } = await inProcess(
        ['run', '--scenarios', scenarios, '--client', 'basic-ftp', ...targets, '--password-env', 'PW', '--json', json],
        undefined,
        {
          PW: SECRET,
        },
      );
      expect(code).toBe(0);
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      expect(results.filter((r) => r.mode === 'passive').map((r) => [r.id, r.verdict])).toEqual([
        ['home/put/basic-ftp/passive@rel', 'conformant'],
        ['home/put/basic-ftp/passive@abs', 'conformant'],
      ]);
      const stored = server.files.filter((f) => f.path.includes('wireprobe-')).map((f) => f.path.replace(/[0-9a-f]{8}/, 'X'));
      expect(stored.sort()).toEqual(['/home/bob/in/wireprobe-X-home-put.bin', '/srv/wireprobe-X-home-put.bin']);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

/** An FTP target as first reached, for the tests that start it by hand: its login directory is the root. */
function asReached(url: string): ExternalFtpTarget {
  return { ...(parseTargetOption(url) as ExternalFtpTarget), home: '/' };
}

/** A download scenario, for the tests that start a user's FTP target by hand. */
const DOWNLOAD: FtpScenario = {
  id: 'x/get',
  suite: 'x',
  title: 'a download',
  protocol: 'ftp',
  expect: { client: 'delivers', rule: 'r' },
  messageBytes: 4,
  ftp: { direction: 'download' },
};

describe("cleaning up on a user's FTP server", () => {
  it('names a file it could not delete in the reason, and removes it at close', async () => {
    const server = await startFtpServer({ users: { bob: SECRET }, anonymous: 'off' });
    // DELE is refused in the server's place on the third connection (after the put's and the read's): the first tidy's.
    const refuse = { ...parseFault('reply 550 before DELE then continue'), connection: 3 };
    const proxy = await startProxy({
      upstream: { host: server.host, port: server.port },
      faults: [refuse],
      protocol: 'ftp',
    });
    try {
      const target = asReached(`ftp://bob:${SECRET}@127.0.0.1:${proxy.port}/`);
      const started = await externalTargets([target]).startFtp(target.name, DOWNLOAD, { 'get.bin': contentOf(Buffer.from('data')) });
      if (!('target' in started)) throw new Error('n/a');
      const path = `/${started.target.login.prefix}get.bin`;
      expect(path).toMatch(/^\/wireprobe-[0-9a-f]{8}-get\.bin$/);
      expect(await started.target.digest(path)).toEqual(digestOf(Buffer.from('data')));
      expect(await started.target.tidy?.()).toBe(`could not delete ${path} (reply 550) on ftp://bob:***@127.0.0.1:${proxy.port}/: remove it by hand`);
      await started.target.close();
      expect(server.read(path)).toBeUndefined();
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe("wireprobe's own sessions on a user's FTP server", () => {
  it('puts the file and reads it back in a second session when the server drops the first, and says so', async () => {
    const server = await startFtpServer({ users: { bob: SECRET }, anonymous: 'off' });
    // The put's first session (connection 1) and the read's (3) are reset where a reply was due.
    const drops = [
      { ...parseFault('reset before reply to STOR'), connection: 1 },
      { ...parseFault('reset before reply to SIZE'), connection: 3 },
    ];
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: drops, protocol: 'ftp' });
    try {
      const target = asReached(`ftp://bob:${SECRET}@127.0.0.1:${proxy.port}/`);
      const started = await externalTargets([target]).startFtp(target.name, DOWNLOAD, { 'get.bin': contentOf(Buffer.from('data')) });
      if (!('target' in started)) throw new Error('n/a');
      const path = `/${started.target.login.prefix}get.bin`;
      expect(await started.target.digest(path)).toEqual(digestOf(Buffer.from('data')));
      expect(proxy.fired()).toEqual([true, true]);
      const said = await started.target.tidy?.();
      expect(said).toMatch(
        /^wireprobe's own session putting the scenario's file ended with no reply \(.*ECONNRESET.*\); a second session did it; wireprobe's own session reading \/wireprobe-[0-9a-f]{8}-get\.bin back ended with no reply \(.*ECONNRESET.*\); a second session did it$/,
      );
      expect(server.read(path)).toBeUndefined();
      expect(await started.target.tidy?.()).toBeUndefined();
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('gives up after a second session fails too, naming both, and leaves nothing', async () => {
    const server = await startFtpServer({ users: { bob: SECRET }, anonymous: 'off' });
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [parseFault('reset before reply to STOR')], protocol: 'ftp' });
    try {
      const target = asReached(`ftp://bob:${SECRET}@127.0.0.1:${proxy.port}/`);
      const starting = externalTargets([target]).startFtp(target.name, DOWNLOAD, { 'get.bin': contentOf(Buffer.from('data')) });
      await expect(starting).rejects.toThrow(
        /^cannot put the scenario's file on ftp:\/\/bob:\*\*\*@127\.0\.0\.1:\d+\/: read ECONNRESET \(control socket\); in a second session: read ECONNRESET \(control socket\)$/,
      );
      const puts = proxy.sessions().filter((s) => s.steps.includes('STOR'));
      expect(puts).toHaveLength(2);
      // What each STOR began is deleted (in a session of its own).
      expect(proxy.sessions().at(-1)!.steps).toContain('DELE');
      for (const f of server.files) expect(server.read(f.path)).toBeUndefined();
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe('bad --target input', () => {
  /** A server that counts connections: nothing may reach it when the input is refused. */
  let listener: net.Server;
  let port: number;
  let connections = 0;
  /** A port nothing listens on. */
  let closed: number;
  beforeAll(async () => {
    listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
    const gone = net.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closed = (gone.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    expect(connections).toBe(0);
  });

  const smtp = () => `smtp://127.0.0.1:${port}`;
  it.each([
    [() => ['run', '--target', smtp(), '--rcpt', 'qa@example.test'], /^wireprobe: --from is required with an smtp:\/\/ --target/],
    [
      () => ['run', '--suite', 'smtp/resets', '--client', 'nodemailer', '--target', smtp(), '--from', 'a@example.test', '--rcpt', 'b@example.test'],
      /^wireprobe: the run would send 26 messages \(26 to smtp:\/\/127\.0\.0\.1:\d+\), more than --max-messages 25/,
    ],
    [() => ['run', '--target', 'smtp://127.0.0.1:99999'], /^wireprobe: bad --target: bad port "99999"/],
    [
      () => ['run', '--target', `http://bob:${SECRET}@127.0.0.1/`],
      /^wireprobe: bad --target: unknown scheme "http:\/\/" in "http:\/\/bob:\*\*\*@127\.0\.0\.1"/,
    ],
    [() => ['run', '--target', `smtp://bob@127.0.0.1:${port}`, '--from', 'a@example.test', '--rcpt', 'b@example.test'], /the user needs a password/],
    [() => ['run', '--target', `ftp://127.0.0.1:${port}/in`, '--from', 'a@example.test'], /--from applies to an smtp:\/\/ --target, and none is given/],
    [() => ['run', '--from', 'a@example.test'], /--from applies to --target, and none is given/],
    [() => ['run', '--target', `ftp://bob@127.0.0.1:${port}/in`], /^wireprobe: bad --target "ftp:\/\/bob@127\.0\.0\.1:\d+\/in": the user needs a password/],
    [() => ['run', '--target', `ftp://bob:${SECRET}/x@127.0.0.1:${port}/in`], /^wireprobe: bad --target: bad target "ftp:\/\/bob:\*\*\*@127\.0\.0\.1:\d+"/],
    [
      () => ['run', '--suite', 'ftp/resets', '--target', `ftp://127.0.0.1:${closed}`],
      /^wireprobe: --target "ftp:\/\/127\.0\.0\.1:\d+": cannot connect to 127\.0\.0\.1:\d+: connection refused/,
    ],
    [() => ['run', '--target', `mock-smtp=smtp://127.0.0.1:${port}`], /bad --target name "mock-smtp"/],
    [() => ['run', '--target', `postfix=smtp://127.0.0.1:${port}`, '--from', 'a@example.test', '--rcpt', 'b@example.test'], /the name "postfix" is taken/],
    [() => ['run', '--target', smtp(), '--from', 'a@example.test', '--rcpt', 'b@example.test', '--maildir', dir], /bad --maildir ".*": it has no new\/ folder/],
    [() => ['matrix', 'smtp', '--target', smtp(), '--from', 'a@example.test'], /^wireprobe: --rcpt is required with an smtp:\/\/ --target/],
  ])('refuses %# with one line and exit code 2, sending nothing', async (args, message) => {
    const { code, stdout, stderr } = await cli(args());
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain(SECRET);
  });
});
