/**
 * `smtp.drop-mid-data` against the mock (which discards a message whose connection drops: nothing may
 * arrive) and against tiny servers (./tiny-smtp.ts) with the two defects the check looks for: one that takes
 * a message whose client left with a FIN mid-body, one that stops serving after a reset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { startTinySmtp, type TinyDefects, type TinySmtp } from './tiny-smtp.js';
import { smtpDropGroup } from '../../src/probe/smtp-drop.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type ProbeLimits } from '../../src/probe/types.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function tiny(defects: TinyDefects): Promise<TinySmtp> {
  const server = await startTinySmtp(defects);
  closers.push(() => server.close());
  return server;
}

describe('smtp.drop-mid-data', () => {
  it('passes on the mock, which delivers nothing of a message dropped by RST or FIN', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpDropGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result).toMatchObject({ id: 'smtp.drop-mid-data', status: 'pass', rfc: 'RFC 5321 §4.1.1.10, §4.1.1.4' });
    expect(result!.advice).toMatch(/^The server went on serving new sessions after an RST inside DATA and after a FIN inside DATA/);
    expect(result!.advice).toMatch(/never a complete one; from outside it cannot see/);
    expect(result!.sent).toEqual(expect.arrayContaining(['RST: [part of a body: 2157 octets, no end of data]', 'FIN: NOOP']));
    expect(result!.received).toEqual(expect.arrayContaining(['RST: [probe reset the connection inside DATA]', 'FIN: [probe sent FIN inside DATA]']));
    await server.idle();
    expect(server.messages).toEqual([]);
    expect(server.accepted()).toBe(0);
  });

  it('fails a server that answers 250 to a FIN inside DATA (it took a message that never ended)', async () => {
    const server = await tiny({ finDelivers: true });
    const [result] = await smtpDropGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result!.status).toBe('fail');
    expect(result!.advice).toMatch(/^After a FIN inside DATA \(no <CRLF>\.<CRLF> was sent\) the server answered "250 queued": it took a message/);
    expect(result!.advice).toMatch(/never a complete one\.\)$/);
    expect(server.delivered()).toBe(1);
  });

  it('fails a server that no longer serves sessions after a reset inside DATA', async () => {
    const server = await tiny({ diesOnReset: true });
    const [result] = await smtpDropGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result!.status).toBe('fail');
    expect(result!.advice).toMatch(/^After an RST inside DATA the next session failed at connect: connect failed \[/);
  });

  it('is skipped with the reason when the transaction cannot start', async () => {
    const server = await startSmtpServer({ auth: 'required', users: { alice: 'pw' } });
    closers.push(() => server.close());
    const [result] = await smtpDropGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result).toMatchObject({ status: 'skip' });
    expect(result!.advice).toMatch(/^Not checked: the server wants authentication/);
  });
});
