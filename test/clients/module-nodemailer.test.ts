/**
 * A module client wrapping nodemailer (test/fixtures/clients/nodemailer-client.mjs: the built-in
 * adapter's transport options, its errors rethrown untouched) is judged like the built-in nodemailer:
 * the same outcome kind, phase and verdict on every smtp/resets scenario. And nodemailer logs in with
 * a job's AUTH credentials against the mock server that requires them.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle } from '../../servers/smtp.js';
import { loadModuleClient } from '../../src/clients/module.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import type { SmtpClientAdapter, SmtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import { SUITES } from '../../suites/index.js';
import { contentOf } from '../../src/util/content.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/clients');

async function moduleNodemailer(): Promise<SmtpClientAdapter> {
  const [adapter] = await loadModuleClient('nodemailer-client.mjs', FIXTURES);
  if (adapter?.protocol !== 'smtp') throw new Error('the fixture has no send()');
  return adapter;
}

let servers: SmtpServerHandle[] = [];
afterEach(async () => {
  const pending = servers;
  servers = [];
  await Promise.all(pending.map((s) => s.close()));
});

describe('a module client wrapping nodemailer', () => {
  it('gets the outcome kind, phase and verdict of the built-in nodemailer on every smtp/resets scenario', async () => {
    const scenarios = SUITES.find((s) => s.name === 'smtp/resets')!.scenarios;
    const module = await moduleNodemailer();
    const results = await runScenarios(scenarios, [nodemailerPlain, module], { targets: builtinTargets(), concurrency: 2 });
    const cells = (client: string) =>
      results.filter((r) => r.client === client).map((r) => [r.scenarioId, r.outcome?.kind, r.outcome?.phase, r.outcome?.code, r.verdict, r.sink?.copies]);
    expect(cells('nodemailer')).toHaveLength(scenarios.length);
    expect(cells('nodemailer-module')).toEqual(cells('nodemailer'));
  }, 120_000);
});

describe('SMTP AUTH from the job', () => {
  const job = (port: number, password: string): SmtpJob => ({
    host: '127.0.0.1',
    port,
    from: 'app@example.test',
    to: ['user@example.test'],
    content: contentOf(Buffer.from('Subject: hi\r\n\r\nhello\r\n')),
    timeouts: { connect: 2000, greeting: 2000, socket: 2000, deadline: 5000 },
    auth: { user: 'alice', password },
  });

  async function authServer(): Promise<SmtpServerHandle> {
    const server = await startSmtpServer({ auth: 'required', users: { alice: 'secret-pw' } });
    servers.push(server);
    return server;
  }

  it('nodemailer logs in with job.auth where the server requires AUTH, and the message arrives', async () => {
    const server = await authServer();
    const report = await nodemailerPlain.run(job(server.port, 'secret-pw'), new AbortController().signal);
    expect(report).toMatchObject({ ok: true });
    expect(server.messages).toHaveLength(1);
  });

  it('nodemailer reports the 535 to a wrong password as a reply, without the password', async () => {
    const server = await authServer();
    const report = await nodemailerPlain.run(job(server.port, 'wrong-pw'), new AbortController().signal);
    expect(report).toMatchObject({ ok: false, error: { code: 'EAUTH', responseCode: 535 } });
    expect(JSON.stringify(report)).not.toContain('wrong-pw');
    expect(server.messages).toHaveLength(0);
  });

  it('a module client gets job.auth too, and masks the password in what it reports', async () => {
    const server = await authServer();
    const module = await moduleNodemailer();
    expect(await module.run(job(server.port, 'secret-pw'), new AbortController().signal)).toMatchObject({ ok: true });
    const failed = await module.run(job(server.port, 'wrong-pw'), new AbortController().signal);
    expect(failed).toMatchObject({ ok: false, error: { code: 'EAUTH', responseCode: 535 } });
    expect(JSON.stringify(failed)).not.toContain('wrong-pw');
    expect(server.messages).toHaveLength(1);
  });
});
