/**
 * `--target` against real servers started by their launchers, as a user's already running Postfix and
 * vsftpd: Postfix's Maildir read with `--maildir` (copies counted, the message it accepted behind a cut
 * 250 found), vsftpd's uploads deleted afterwards. Driven through `main` in process, JSON read back.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostfixLauncher, postfixLauncher } from '../../servers/real/postfix.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { inProcess as cli } from '../helpers/in-process.js';
import type { Result } from '../../src/engine/types.js';
import { NOT_READ_BACK } from '../../src/engine/verdict.js';
import { ENVELOPE, runTarget } from '../helpers/target-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-target-real-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wireprobe run --target against a running Postfix, its Maildir given', () => {
  it('counts the copies in the Maildir: the message accepted behind a cut 250 is found, the delivered ones once', async () => {
    const postfix = await postfixLauncher.start({});
    try {
      // Mail already in the box (someone else's, an earlier run's) is never counted.
      await writeFile(join(postfix.storage, 'new', '1.old.host'), 'Subject: earlier\n\nhello\n');
      const json = join(dir, 'postfix.json');
      const target = `smtp://127.0.0.1:${postfix.port}`;
      const args = ['run', '--suite', 'smtp/resets', '--client', 'nodemailer', '--target', target, ...ENVELOPE];
      const { code, stdout, stderr } = await cli([...args, '--maildir', postfix.storage, '--max-messages', '26', '--json', json]);
      expect(code).toBe(0);
      // Postfix advertises SIZE 10240000 (its default message_size_limit): the two 32 MiB scenarios are n/a.
      expect(stderr).toMatch(/^wireprobe: smtp:\/\/127\.0\.0\.1:\d+ when first reached: SIZE 10240000\nwireprobe: this run sends 24 message\(s\)/);
      expect(stdout).toMatch(/32 scenarios: \d+ conformant.*, 8 n\/a/);
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      const oversize = results.filter((r) => r.verdict === 'n/a' && /the server's EHLO advertises SIZE 10240000/.test(r.reason));
      expect(oversize).toHaveLength(2);
      const cell = (name: string) => results.find((r) => r.id === `smtp/resets/${name}/nodemailer@127.0.0.1:${postfix.port}`)!;
      for (const r of results) expect(r.sink?.verifiable).toBeUndefined();
      // The 250 never reached the client: it reported the failure, and Postfix holds the message once.
      expect(cell('reset-after-dot')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'reset', phase: 'dot' }, sink: { copies: 1, intact: true } });
      expect(cell('reset-after-dot').reason).toMatch(/The server did accept the message: a retry will deliver it twice/);
      expect(cell('close-after-dot-reply')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
      expect(cell('close-after-dot-reply').reason).toMatch(/^delivered exactly once; /);
      expect(cell('reset-mid-body-64k')).toMatchObject({ verdict: 'conformant', sink: { copies: 0 } });
      const held = results.reduce((n, r) => n + (r.sink?.copies ?? 0), 0);
      expect((await readdir(join(postfix.storage, 'new'))).length + (await readdir(join(postfix.storage, 'cur'))).length).toBe(held + 1);
    } finally {
      await postfix.close();
    }
    // Each run the client saw fail waits up to MAILDIR_WAIT_MS for a copy that may still arrive.
  }, 180_000);
});

describe('wireprobe run --target against a running vsftpd', () => {
  it('runs ftp/resets with basic-ftp and deletes every upload; what the anonymous login cannot read back is said', async () => {
    const vsftpd = await vsftpdLauncher.start({});
    try {
      const login = vsftpd.login!;
      const json = join(dir, 'vsftpd.json');
      const target = `ftp://${login.user}:${encodeURIComponent(login.password)}@127.0.0.1:${vsftpd.port}${login.dir}`;
      const { code, stdout } = await cli(['run', '--suite', 'ftp/resets', '--client', 'basic-ftp', '--target', target, '--json', json]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/44 scenarios: 20 conformant, 0 deviate, 0 unfired, 0 errors, 24 n\/a/);
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      const cell = (name: string) => results.find((r) => r.id === `ftp/resets/${name}/basic-ftp/passive@127.0.0.1:${vsftpd.port}`)!;
      // vsftpd's anonymous login reads only world-readable files, and its uploads are not.
      expect(cell('reset-after-stor')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { verifiable: false } });
      expect(cell('reset-after-stor').reason.endsWith(NOT_READ_BACK)).toBe(true);
      expect(cell('reset-data-mid-retr')).toMatchObject({ verdict: 'n/a' });
      expect(cell('reset-data-mid-retr').reason).toMatch(/does not let anonymous download the file wireprobe put there \(550\)/);
      expect(`${stdout}${await readFile(json, 'utf8')}`).not.toContain(login.password);
      expect(await readdir(vsftpd.storage)).toEqual([]);
    } finally {
      await vsftpd.close();
    }
  });
});

describe('wireprobe run --target against a Postfix that requires STARTTLS (smtpd_tls_security_level = encrypt)', () => {
  it('makes the run in plain text n/a naming its 530, and delivers the STARTTLS one', async () => {
    const postfix = await postfixLauncher.start({ tls: true, tlsRequired: true });
    try {
      const scenarios = join(dir, 'encrypt.yaml');
      await writeFile(
        scenarios,
        'name: encrypt\nprotocol: smtp\nscenarios:\n  - name: plain\n    size: 1KiB\n  - name: secured\n    size: 1KiB\n    tls: starttls\n',
      );
      const json = join(dir, 'encrypt.json');
      const target = `smtp://127.0.0.1:${postfix.port}`;
      const { code, stderr } = await cli(runTarget(scenarios, 'nodemailer', `encrypt=${target}`, '--maildir', postfix.storage, '--json', json));
      expect(code).toBe(0);
      const refusal = '"530 5.7.0 Must issue a STARTTLS command first"';
      expect(stderr).toBe(
        `wireprobe: ${target} when first reached: SIZE 10240000; STARTTLS required (MAIL in plain text got ${refusal})\n` +
          `wireprobe: this run sends 1 message(s): 1 to ${target} (--max-messages 25)\n`,
      );
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      const cell = (name: string) => results.find((r) => r.id === `encrypt/${name}/nodemailer@encrypt`)!;
      expect(cell('plain')).toMatchObject({ verdict: 'n/a' });
      expect(cell('plain').reason).toBe(
        `needs MAIL in plain text, and the server requires STARTTLS first (MAIL in plain text got ${refusal} when first reached, RFC 3207 §4)`,
      );
      expect(cell('secured')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' }, sink: { copies: 1, intact: true } });
    } finally {
      await postfix.close();
    }
  }, 60_000);
});

describe('wireprobe run --target against a Postfix slow to greet (smtpd_client_restrictions = sleep 1)', () => {
  it('makes the run whose client timeouts are 1 s n/a, and delivers the one with 5 s', async () => {
    const slow = createPostfixLauncher({ mainCf: ['smtpd_delay_reject = no', 'smtpd_client_restrictions = sleep 1'] });
    const postfix = await slow.start({});
    try {
      const scenarios = join(dir, 'sleep.yaml');
      const quick = '    timeouts: { connect: 1s, greeting: 1s, socket: 1s }\n';
      await writeFile(scenarios, `name: sleep\nprotocol: smtp\nscenarios:\n  - name: patient\n    size: 1KiB\n  - name: quick\n    size: 1KiB\n${quick}`);
      const json = join(dir, 'sleep.json');
      const target = `smtp://127.0.0.1:${postfix.port}`;
      const { code, stderr } = await cli(runTarget(scenarios, 'nodemailer', `sleepy=${target}`, '--maildir', postfix.storage, '--json', json));
      expect(code).toBe(0);
      expect(stderr).toMatch(new RegExp(`^wireprobe: ${target.replace(/\./g, '\\.')} when first reached: SIZE 10240000; greeting after \\d+ ms\\n`));
      expect(stderr).toMatch(/this run sends 1 message\(s\)/);
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      const cell = (name: string) => results.find((r) => r.id === `sleep/${name}/nodemailer@sleepy`)!;
      expect(cell('quick')).toMatchObject({ verdict: 'n/a' });
      expect(cell('quick').reason).toMatch(/^the server's greeting took \d+ ms when first reached, the scenario's client timeout is 1000 ms: /);
      expect(cell('patient')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' }, sink: { copies: 1, intact: true } });
    } finally {
      await postfix.close();
    }
  }, 60_000);
});

describe('wireprobe run --target against a vsftpd refusing active mode (port_enable=NO)', () => {
  it('makes the active-mode run n/a naming the 550s, and runs the passive one', async () => {
    const vsftpd = await vsftpdLauncher.start({ active: 'off' });
    try {
      const login = vsftpd.login!;
      const scenarios = join(dir, 'noport.yaml');
      await writeFile(scenarios, 'name: noport\nprotocol: ftp\nscenarios:\n  - name: put\n    size: 1KiB\n');
      const json = join(dir, 'noport.json');
      const target = `ftp://${login.user}:${encodeURIComponent(login.password)}@127.0.0.1:${vsftpd.port}${login.dir}`;
      const { code, stderr } = await cli(['run', '--scenarios', scenarios, '--client', 'curl', '--target', `noport=${target}`, '--json', json]);
      expect(code).toBe(0);
      const replies = 'PORT got "550 Permission denied.", EPRT got "550 Permission denied."';
      expect(stderr).toMatch(new RegExp(` when first reached: active mode refused \\(${replies.replace(/[.()]/g, '\\$&')}\\)\\n$`));
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[] };
      const cell = (mode: string) => results.find((r) => r.id === `noport/put/curl/${mode}@noport`)!;
      expect(cell('active')).toMatchObject({ verdict: 'n/a' });
      expect(cell('active').reason).toBe(
        `needs active mode, which the server refused when first reached (${replies}): every client would fail on its policy, not on the scenario's fault`,
      );
      // vsftpd's anonymous login reads only world-readable files, and its uploads are not.
      expect(cell('passive')).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { verifiable: false } });
      expect(await readdir(vsftpd.storage)).toEqual([]);
    } finally {
      await vsftpd.close();
    }
  });
});
