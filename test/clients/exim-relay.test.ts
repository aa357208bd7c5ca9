/**
 * exim-relay: Exim's SMTP client relaying to the proxy as its smarthost, the real client that sends
 * BDAT (RFC 3030). Its mainlog lines turned into reports; through the engine, against the mock with
 * CHUNKING on: a delivery in BDAT chunks, the exact outcome of a reset mid-chunks, and its one retry
 * after a deferral (a lost 250 to BDAT LAST: two copies, RFC 5321 §4.5.4.1's trap); STARTTLS when asked.
 */
import { describe, expect, it } from 'vitest';
import { eximAttempts, eximError, eximMessageId, eximRelayClient } from '../../src/clients/exim-relay.js';
import { OPT_IN_CLIENTS } from '../../src/clients/index.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { selectClients } from '../../src/commands/select.js';
import { runScenarios } from '../../src/engine/run.js';
import { SUITES } from '../../suites/index.js';

const ID = '1xZeRF-000290-0h';
const LOG = [
  `2026-12-05 01:19:31 ${ID} <= sender@wireprobe.test U=root P=local S=1048576`,
  `2026-12-05 01:19:31 ${ID} == sink@wireprobe.test R=smarthost T=relay_smtp defer (-18) H=127.0.0.1 [127.0.0.1]: Remote host closed connection in response to end of data`,
  `2026-12-05 01:19:32 ${ID} => sink@wireprobe.test R=smarthost T=relay_smtp H=127.0.0.1 [127.0.0.1] K C="250 OK: message queued"`,
].join('\n');

describe('exim-relay mainlog lines', () => {
  it('reads the message id and each delivery attempt, in order', () => {
    expect(eximMessageId(LOG)).toBe(ID);
    expect(eximAttempts(LOG, ID)).toEqual([
      { status: 'deferred', reason: 'defer (-18) H=127.0.0.1 [127.0.0.1]: Remote host closed connection in response to end of data' },
      { status: 'sent', reason: 'H=127.0.0.1 [127.0.0.1] K C="250 OK: message queued"' },
    ]);
    expect(eximAttempts(LOG, 'other')).toEqual([]);
    expect(eximMessageId('')).toBeUndefined();
  });

  it('turns a deferral or failure into classify terms: a reply code, the wire, an RST, a refusal, a timeout', () => {
    const line = (reason: string, status: 'deferred' | 'bounced' = 'deferred') => eximError({ status, reason });
    expect(
      line('H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after RCPT TO:<sink@wireprobe.test>: 550 5.1.1 no such user', 'bounced'),
    ).toMatchObject({
      code: 'bounced',
      responseCode: 550,
      meaning: 'reply',
      command: 'RCPT TO',
    });
    expect(line('defer (-46) H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after pipelined end of data: 451 4.3.0 try again')).toMatchObject({
      responseCode: 451,
      command: 'end of data',
    });
    expect(eximError(eximAttempts(LOG, ID)[0]!)).toMatchObject({ meaning: 'wire', command: 'end of data' });
    // A 250 quoted before an RST is no failure reply: Exim's errno says what happened.
    const reset = line(
      'defer (104): Connection reset by peer H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after sending data block: 250 225 octets received',
    );
    expect(reset).toMatchObject({ cause: 'ECONNRESET', command: 'sending data block' });
    expect(reset.responseCode).toBeUndefined();
    expect(line('defer (111): Connection refused')).toMatchObject({ cause: 'ECONNREFUSED' });
    expect(line('defer (-53) H=127.0.0.1 [127.0.0.1]: SMTP timeout after end of data')).toMatchObject({ meaning: 'timeout' });
  });

  it('is run only when named: `--client exim-relay`, not `all`, and says it sends BDAT', () => {
    expect(OPT_IN_CLIENTS).toContain(eximRelayClient);
    expect(selectClients(['exim-relay'])).toEqual([eximRelayClient]);
    expect(selectClients(['all'])).not.toContain(eximRelayClient);
    expect(eximRelayClient.sendsBdat).toBe(true);
  });
});

describe('exim-relay through the proxy, against the mock with CHUNKING', () => {
  it('delivers in BDAT chunks, gives the exact outcome of a reset mid-chunks, and retries a lost 250 to BDAT LAST once', async () => {
    const wanted = ['reset-bdat-mid-chunks-64k', 'reset-bdat-before-last-reply', 'reset-bdat-after-last-reply'].map((name) => `smtp/resets/${name}`);
    const scenarios = SUITES.find((s) => s.name === 'smtp/resets')!.scenarios.filter((s) => wanted.includes(s.id));
    expect(scenarios).toHaveLength(wanted.length);
    const results = await runScenarios(scenarios, [eximRelayClient], { targets: builtinTargets(), concurrency: 3 });
    const cell = (name: string) => results.find((r) => r.scenarioId === `smtp/resets/${name}`)!;
    const cells = Object.fromEntries(
      results.map((r) => [r.scenarioId.slice('smtp/resets/'.length), [r.outcome?.kind, r.outcome?.phase, r.verdict, r.sink?.copies]]),
    );
    expect(cells).toEqual({
      'reset-bdat-mid-chunks-64k': ['reset', 'bdat', 'conformant', 0],
      // The 250 to BDAT LAST never came: deferred, retried with `exim -M`, the retry cut the same way: two copies.
      'reset-bdat-before-last-reply': ['reset', 'bdat', 'deviates', 2],
      'reset-bdat-after-last-reply': ['delivered', 'quit', 'conformant', 1],
    });
    // The mock was sent BDAT chunks, the last one taken with its 250; Exim's log marks it K.
    const delivered = cell('reset-bdat-after-last-reply');
    expect(delivered.transcript.some((line) => / C {2}BDAT \d+ LAST$/.test(line))).toBe(true);
    expect(delivered.transcript.some((line) => / C {2}DATA$/.test(line))).toBe(false);
    expect(delivered.outcome?.detail).toMatch(/status=sent \(.* K C="250 /);
    expect(cell('reset-bdat-before-last-reply').outcome?.detail).toMatch(/== defer .*; retried: status=deferred \(/);
  }, 60_000);

  it('requires STARTTLS when the job asks: delivers over it, and fails a certificate it verifies and rejects', async () => {
    const wanted = ['smtp/tls/clean', 'smtp/tls/cert-rejected'];
    const scenarios = SUITES.find((s) => s.name === 'smtp/tls')!.scenarios.filter((s) => wanted.includes(s.id));
    expect(scenarios).toHaveLength(wanted.length);
    const results = await runScenarios(scenarios, [eximRelayClient], { targets: builtinTargets(), concurrency: 2 });
    const cells = Object.fromEntries(results.map((r) => [r.scenarioId, [r.outcome?.kind, r.outcome?.phase, r.verdict, r.sink?.copies]]));
    expect(cells).toEqual({
      'smtp/tls/clean': ['delivered', 'quit', 'conformant', 1],
      'smtp/tls/cert-rejected': ['closed', 'tls', 'conformant', 0],
    });
    expect(results.find((r) => r.scenarioId === 'smtp/tls/clean')?.outcome?.detail).toMatch(/ X=TLS1\.3:/);
    expect(results.find((r) => r.scenarioId === 'smtp/tls/cert-rejected')?.outcome?.detail).toMatch(/certificate verification failed/);
  }, 60_000);

  it("relays a message over Exim's default size limit (50M): the relay is not what limits a scenario", async () => {
    const scenario = {
      id: 'test/relay/over-default-limit',
      suite: 'test/relay',
      protocol: 'smtp' as const,
      title: 'a 51 MiB message',
      expect: { client: 'delivers' as const, rule: 'RULE' },
      messageBytes: 51 * 2 ** 20,
    };
    const [result] = await runScenarios([scenario], [eximRelayClient], { targets: builtinTargets() });
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
  }, 60_000);
});
