/**
 * A `reply` outcome names the step the failing reply answered, whatever the client did next: curl and
 * swaks QUIT after it, smtplib sends RSET, nodemailer and msmtp pipeline DATA behind a refused RCPT (the
 * 503 or 554 it gets only follows from the refusal, RFC 5321 §3.3).
 */
import { describe, expect, it } from 'vitest';
import { curlClient } from '../../src/clients/curl.js';
import { msmtpClient } from '../../src/clients/msmtp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksClient } from '../../src/clients/swaks.js';
import type { ClientAdapter } from '../../src/clients/types.js';
import { commandClient } from '../../src/clients/command.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { parseFault } from '../../src/faults/parse.js';

const targets = builtinTargets();

function scenario(name: string, fault: string): SmtpScenario {
  return {
    id: `test/reply-phase/${name}`,
    suite: 'test/reply-phase',
    protocol: 'smtp',
    title: fault,
    fault: parseFault(fault),
    expect: { client: 'fails', rule: 'RULE' },
    messageBytes: 4096,
  };
}

/** A command client: Python's smtplib connected as `s`, the envelope in `f` and `t`, the message's path in `m`, then `script`; exit 1 on a failure it raises. */
function smtplibCommand(name: string, script: string): ClientAdapter {
  const start = 'import smtplib, sys; h, p, f, t, m = sys.argv[1:6]; s = smtplib.SMTP(h, int(p), timeout=10)';
  return commandClient({ name, protocol: 'smtp', command: `python3 -c '${start}; ${script}' {host} {port} {from} {to} {message}` });
}

const clients: readonly ClientAdapter[] = [curlClient, smtplibClient, nodemailerPlain, swaksClient, msmtpClient];

describe('the phase of a reply outcome', () => {
  it.each(clients.map((c) => [c.name, c] as const))('is dot for a 552 to the dot, and rcpt for a 550 to RCPT: %s', async (_, client) => {
    const dot = await runScenario({ scenario: scenario('552-dot', 'reply 552 before reply to dot then continue'), client }, targets);
    expect(dot.outcome).toMatchObject({ kind: 'reply', code: 552, phase: 'dot' });
    const rcpt = await runScenario({ scenario: scenario('550-rcpt', 'reply 550 before RCPT then continue'), client }, targets);
    expect(rcpt.outcome).toMatchObject({ kind: 'reply', code: 550, phase: 'rcpt' });
  });

  it('is dot for a 552 to the dot that a command client answered with RSET before its QUIT, then exit 1 (JavaMail)', async () => {
    // Its exit code says nothing: the outcome is read from the wire, where RSET's 250 came last.
    const rsetting = smtplibCommand(
      'rset-after-refusal',
      's.ehlo(); s.mail(f); s.rcpt(t); c, _ = s.data(open(m, "rb").read()); c < 400 or s.rset(); s.quit(); sys.exit(c >= 400)',
    );
    const result = await runScenario({ scenario: scenario('552-dot-rset', 'reply 552 before reply to dot then continue'), client: rsetting }, targets);
    expect(result.outcome).toMatchObject({ kind: 'reply', code: 552, phase: 'dot' });
    expect(result.transcript.join('\n')).toMatch(/C {2}rset[\s\S]*S {2}250 Flushed[\s\S]*C {2}quit/);
  });

  it('is closed, not the 502, for a client that went on past a 502 to EHLO with HELO and met the FIN there (JavaMail, smtplib)', async () => {
    const fallingBack = smtplibCommand('helo-fallback', 's.sendmail(f, [t], open(m, "rb").read()); s.quit()');
    const result = await runScenario({ scenario: scenario('502-ehlo', 'reply 502 before reply to EHLO then close'), client: fallingBack }, targets);
    // The HELO came after the FIN: no step it reached (the phase stays ehlo), but it went on past the 502.
    expect(result.outcome).toMatchObject({ kind: 'closed', phase: 'ehlo' });
    expect(result.transcript.join('\n')).toMatch(/client sent HELO after the proxy's FIN \(not relayed\)/);
  });
});
