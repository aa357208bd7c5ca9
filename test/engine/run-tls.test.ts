import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import type { ClientAdapter, SmtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';

const targets = builtinTargets();

const base: SmtpScenario = {
  id: 'test/tls/verify',
  suite: 'test/tls',
  protocol: 'smtp',
  title: 'STARTTLS, verified against the run CA',
  expect: { client: 'delivers', rule: 'RULE' },
  messageBytes: 4096,
  tls: 'starttls-verify',
};

/** nodemailer, remembering the CA file it was given and whether it still existed while it ran. */
function watching(seen: { ca?: string; existed?: boolean }): ClientAdapter {
  return {
    ...nodemailerPlain,
    run: (job: SmtpJob, signal: AbortSignal) => {
      seen.ca = job.ca;
      seen.existed = job.ca !== undefined && existsSync(job.ca);
      return nodemailerPlain.run(job, signal);
    },
  } as ClientAdapter;
}

describe('runs with TLS: the proxy terminates it with the run CA', () => {
  it('a verifying client given the run CA delivers; the CA file is gone after the run; the key log has both legs', async () => {
    const seen: { ca?: string; existed?: boolean } = {};
    const lines: string[] = [];
    const result = await runScenario({ scenario: base, client: watching(seen) }, targets, undefined, undefined, (l) => lines.push(l.toString()));
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' }, sink: { copies: 1, intact: true } });
    expect(seen.existed).toBe(true);
    expect(existsSync(seen.ca!)).toBe(false);
    expect(new Set(lines.filter((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET ')).map((l) => l.split(' ')[1])).size).toBe(2);
  });

  it('a fault inside TLS gives its exact outcome: reset after DATA +64KiB is reset@body', async () => {
    const scenario: SmtpScenario = {
      ...base,
      id: 'test/tls/mid-body',
      tls: 'starttls',
      messageBytes: 8 * 1024 * 1024,
      fault: { kind: 'reset', at: { after: 'DATA', bytes: 65536 } },
      expect: { client: 'fails', rule: 'RULE' },
    };
    const result = await runScenario({ scenario, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'reset', phase: 'body', bytesSent: 65536 }, sink: { copies: 0 } });
  });

  it('a certificate the scenario makes self-signed is rejected by a verifying client: closed@tls', async () => {
    const scenario: SmtpScenario = { ...base, id: 'test/tls/self-signed', certificate: 'self-signed', expect: { client: 'fails', rule: 'RULE' } };
    const result = await runScenario({ scenario, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'closed', phase: 'tls' } });
  });
});
