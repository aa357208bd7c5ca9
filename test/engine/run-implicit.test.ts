/**
 * Implicit TLS (RFC 8314 §3.3) in the engine: the mock is started speaking TLS from the first octet
 * when the scenario's client does, a real server on its implicit listener (Postfix's wrappermode), and a client
 * that cannot be told to use TLS is `n/a` with the right words.
 */
import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import type { SmtpClientAdapter } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import { cannotExpress } from '../../src/engine/smtp-run.js';
import type { SmtpScenario } from '../../src/engine/types.js';

const targets = builtinTargets();

const base: SmtpScenario = {
  id: 'test/implicit/clean',
  suite: 'test/implicit',
  protocol: 'smtp',
  title: 'implicit TLS, no fault',
  expect: { client: 'delivers', rule: 'RULE' },
  messageBytes: 4096,
  tls: 'implicit',
};

const template: SmtpClientAdapter = {
  name: 'my-command',
  protocol: 'smtp',
  description: 'a command template',
  plaintextOnly: true,
  run: async () => ({ ok: true, detail: 'never run' }),
};

describe('implicit TLS in the engine', () => {
  it('starts the mock speaking TLS from the first octet: an implicit client delivers through the proxy', async () => {
    const result = await runScenario({ scenario: base, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
  });

  it('a verifying implicit client trusts the run CA the terminating proxy presents, and delivers', async () => {
    const scenario: SmtpScenario = { ...base, id: 'test/implicit/verify', tls: 'implicit-verify' };
    const result = await runScenario({ scenario, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1 } });
  });

  it('a verifying implicit client rejects a self-signed certificate and delivers nothing', async () => {
    const scenario: SmtpScenario = {
      ...base,
      id: 'test/implicit/reject',
      tls: 'implicit-verify',
      certificate: 'self-signed',
      expect: { client: 'fails', rule: 'RULE' },
    };
    const result = await runScenario({ scenario, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'closed', bytesSent: 0 }, sink: { copies: 0 } });
  });

  it('a real server runs on its implicit listener (Postfix wrappermode): an implicit client delivers through the proxy', async () => {
    const result = await runScenario({ scenario: { ...base, id: 'test/implicit/postfix' }, client: nodemailerPlain, server: 'postfix' }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
  });

  it('a client that cannot be told to use TLS is n/a, in the words of the TLS the scenario needs', () => {
    expect(cannotExpress(base, template)).toBe('my-command cannot be told to use implicit TLS, which this scenario needs');
    expect(cannotExpress({ ...base, tls: 'implicit-verify' }, template)).toBe('my-command cannot be told to use implicit TLS, which this scenario needs');
    expect(cannotExpress({ ...base, tls: 'starttls' }, template)).toBe('my-command cannot be told to use STARTTLS, which this scenario needs');
    expect(cannotExpress({ ...base, tls: 'none' }, template)).toBeUndefined();
  });
});
