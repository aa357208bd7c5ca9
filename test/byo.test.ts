/**
 * The whole path issue 15 opens, as a new user takes it: their own command-line mailer (a shell script
 * around curl), their own module client (nodemailer), their staging server (`--target`), their Postfix
 * configuration (`postfix:./main.cf`) and their scenario file, once from a config file and once from
 * flags alone, with every report. The staging server is a mock started here; Postfix runs from the
 * launcher with the user's main.cf, on loopback.
 */
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle } from '../servers/smtp.js';
import type { JsonResult } from '../src/report/json.js';
import { inProcess } from './helpers/in-process.js';

const ROOT = resolve(import.meta.dirname, '..');
const MODULE = join(ROOT, 'test/fixtures/clients/nodemailer-client.mjs');

/** The user's mailer: the message on stdin, sent with curl. */
const SEND_MAIL = `#!/bin/sh
exec curl --silent --show-error --connect-timeout "$3" "smtp://$1:$2" --mail-from "$4" --mail-rcpt "$5" --upload-file -
`;
const COMMAND = 'cmd:my-mailer=./send-mail.sh {host} {port} {connect-timeout} {from} {to}';

/** The user's production main.cf: a relay and a milter that cannot work here, limits that must be kept. */
const MAIN_CF = `myhostname = mail.myapp.example
relayhost = [smtp.upstream.example]:587
smtpd_milters = inet:127.0.0.1:8891
message_size_limit = 20000000
`;

const COLUMNS = ['my-mailer', 'nodemailer', 'nodemailer-module'].flatMap((c) => [`${c}@postfix:main.cf`, `${c}@staging`]).sort();

describe('your own client, server and scenarios, together', () => {
  let dir: string;
  let staging: SmtpServerHandle;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-byo-'));
    await writeFile(join(dir, 'send-mail.sh'), SEND_MAIL);
    await chmod(join(dir, 'send-mail.sh'), 0o755);
    await writeFile(join(dir, 'main.cf'), MAIN_CF);
    await copyFile(join(ROOT, 'examples/my-mailer.yaml'), join(dir, 'my-mailer.yaml'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `args` in the user's folder against a fresh staging server; its stored messages come back too. */
  async function run(args: readonly string[]) {
    staging = await startSmtpServer();
    try {
      const out = await inProcess(
        args.map((a) => a.replace('STAGING', staging.url)),
        dir,
      );
      const json = JSON.parse(await readFile(join(dir, 'out/report.json'), 'utf8')) as { results: JsonResult[] };
      return { ...out, results: json.results, stored: staging.messages.length };
    } finally {
      await staging.close();
    }
  }

  /** What every run of the user's setup must show. */
  function expectTheirRun({ code, stdout, stderr, results, stored }: Awaited<ReturnType<typeof run>>) {
    expect(stderr).toBe(`wireprobe: this run sends 12 message(s): 12 to smtp://127.0.0.1:${staging.port} (--max-messages 40)\n`);
    expect(code, stdout).toBe(0);
    expect([...new Set(results.map((r) => `${r.client}@${r.server}`))].sort()).toEqual(COLUMNS);
    expect(results.filter((r) => r.verdict !== 'conformant').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    const onStaging = results.filter((r) => r.server === 'staging');
    expect(onStaging.filter((r) => r.outcome?.kind === 'delivered').every((r) => r.reason.includes('delivery not verifiable'))).toBe(true);
    // Each client's clean send and the message whose 250 was cut off (lost-250): six, each once.
    expect(stored).toBe(6);
    // The pins of the scenario file hold for nodemailer on both servers.
    const pinned = results.filter((r) => r.client === 'nodemailer' && r.id.includes('reset-mid-body'));
    expect(pinned.map((r) => `${r.outcome?.kind}@${r.outcome?.phase}`)).toEqual(['reset@body', 'reset@body']);
    expect(stdout).toContain('postfix:main.cf runs');
    expect(stdout).toMatch(/relayhost: "\[smtp\.upstream\.example\]:587" -> /);
    expect(stdout).toMatch(/smtpd_milters: "inet:127\.0\.0\.1:8891" -> /);
  }

  it('from a wireprobe.config.yaml in the working directory: console, JSON, JUnit and HTML', async () => {
    const config = [
      'clients:',
      `  - "${COMMAND}"`,
      `  - module: ${MODULE}`,
      '  - nodemailer',
      'targets:',
      '  - url: staging=STAGING',
      '    from: ci@myapp.example',
      '    rcpt: sink@myapp.example',
      '    maxMessages: 40',
      'servers:',
      '  - postfix:./main.cf',
      'scenarios:',
      '  - my-mailer.yaml',
      'reports:',
      '  json: out/report.json',
      '  junit: out/report.xml',
      '  html: out/report.html',
      'failOnDeviation: true',
    ].join('\n');
    try {
      expectTheirRun(await runWithConfig(config));
      const junit = await readFile(join(dir, 'out/report.xml'), 'utf8');
      expect(junit.match(/<testcase /g)).toHaveLength(24);
      const html = await readFile(join(dir, 'out/report.html'), 'utf8');
      for (const column of COLUMNS) expect(html).toContain(column);
    } finally {
      await rm(join(dir, 'wireprobe.config.yaml'), { force: true });
    }
  }, 300_000);

  it('from flags alone, the same', async () => {
    const got = await run([
      'run',
      '--client',
      COMMAND,
      '--client',
      MODULE,
      '--client',
      'nodemailer',
      '--target',
      'staging=STAGING',
      '--from',
      'ci@myapp.example',
      '--rcpt',
      'sink@myapp.example',
      '--max-messages',
      '40',
      '--server',
      'postfix:./main.cf',
      '--scenarios',
      'my-mailer.yaml',
      '--json',
      'out/report.json',
      '--fail-on-deviation',
    ]);
    expectTheirRun(got);
  }, 300_000);

  /** The config names the staging server by its URL, known only once it listens: written then. */
  async function runWithConfig(config: string) {
    staging = await startSmtpServer();
    try {
      await writeFile(join(dir, 'wireprobe.config.yaml'), config.replace('STAGING', staging.url));
      const out = await inProcess(['run'], dir);
      const json = JSON.parse(await readFile(join(dir, 'out/report.json'), 'utf8')) as { results: JsonResult[] };
      return { ...out, results: json.results, stored: staging.messages.length };
    } finally {
      await staging.close();
    }
  }
});
