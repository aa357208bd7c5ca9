/**
 * postfix-relay: Postfix's SMTP client relaying to the proxy as its smarthost. Its log lines turned into
 * reports; through the engine, the exact outcome of smtp/resets cells, its one retry after a deferral
 * (a lost 250 after the data: two copies, RFC 5321 §4.5.4.1's trap), and n/a for the BDAT scenarios
 * (Postfix's client sends DATA to a CHUNKING server).
 */
import { describe, expect, it } from 'vitest';
import { postfixRelayClient, relayError, statusLines } from '../../src/clients/postfix-relay.js';
import { OPT_IN_CLIENTS } from '../../src/clients/index.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { selectClients } from '../../src/commands/select.js';
import { runInTest } from '../helpers/run-in-test.js';
import { SUITES } from '../../suites/index.js';

const LOG = [
  'Dec  4 21:55:51 relay postfix/pickup[10]: 6FCAA20CB5E: uid=0 from=<sender@wireprobe.test>',
  'Dec  4 21:55:51 relay postfix/smtp[12]: 6FCAA20CB5E: to=<sink@wireprobe.test>, relay=127.0.0.1[127.0.0.1]:4025, delay=0.1, delays=0/0/0/0, dsn=4.4.2, status=deferred (lost connection with 127.0.0.1[127.0.0.1] while sending end of data -- message may be sent more than once)',
  'Dec  4 21:55:52 relay postfix/smtp[12]: 6FCAA20CB5E: to=<sink@wireprobe.test>, relay=127.0.0.1[127.0.0.1]:4025, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 OK: message queued)',
].join('\n');

describe('postfix-relay log lines', () => {
  it('reads each delivery attempt of a queue id, in order', () => {
    expect(statusLines(LOG, '6FCAA20CB5E').map((s) => s.status)).toEqual(['deferred', 'sent']);
    expect(statusLines(LOG, 'ABC')).toEqual([]);
  });

  it('turns a deferral or bounce into classify terms: a reply code, the wire, a timeout, a refusal', () => {
    const said = (reason: string, status: 'deferred' | 'bounced' = 'deferred') => relayError({ status, reason });
    expect(said('host 127.0.0.1[127.0.0.1] said: 451 4.3.0 Error: try again (in reply to end of DATA command)')).toMatchObject({
      responseCode: 451,
      meaning: 'reply',
      command: 'end of DATA',
    });
    expect(said('host 127.0.0.1[127.0.0.1] said: 552 5.3.4 too big (in reply to MAIL FROM command)', 'bounced')).toMatchObject({
      code: 'bounced',
      responseCode: 552,
    });
    expect(statusLines(LOG).map(relayError)[0]).toMatchObject({ meaning: 'wire', command: 'end of data' });
    expect(said('conversation with 127.0.0.1[127.0.0.1] timed out while receiving the initial server greeting')).toMatchObject({ meaning: 'timeout' });
    expect(said('connect to 127.0.0.1[127.0.0.1]:4025: Connection refused')).toMatchObject({ cause: 'ECONNREFUSED' });
  });

  it('is run only when named: `--client postfix-relay`, not `all`', () => {
    expect(OPT_IN_CLIENTS).toContain(postfixRelayClient);
    expect(selectClients(['postfix-relay'])).toEqual([postfixRelayClient]);
    expect(selectClients(['all'])).not.toContain(postfixRelayClient);
    expect(selectClients(['swaks', 'postfix-relay']).map((c) => c.name)).toEqual(['swaks', 'postfix-relay']);
  });
});

describe('postfix-relay through the proxy', () => {
  it('gives the exact outcome of smtp/resets cells, retries a deferral once, and is n/a for BDAT scenarios', async (test) => {
    const wanted = ['reset-after-mail', 'close-after-dot', 'reset-after-dot-reply', 'reset-bdat-mid-chunks-64k'].map((name) => `smtp/resets/${name}`);
    const scenarios = SUITES.find((s) => s.name === 'smtp/resets')!.scenarios.filter((s) => wanted.includes(s.id));
    expect(scenarios).toHaveLength(wanted.length);
    const results = await runInTest(test, scenarios, [postfixRelayClient], { targets: builtinTargets(), concurrency: 4 });
    const cells = Object.fromEntries(
      results.map((r) => [r.scenarioId.slice('smtp/resets/'.length), [r.outcome?.kind, r.outcome?.phase, r.verdict, r.sink?.copies]]),
    );
    expect(cells).toEqual({
      'reset-after-mail': ['reset', 'rcpt', 'conformant', 0],
      // The 250 after the data never came: deferred, retried, and the retry is cut the same way: two copies.
      'close-after-dot': ['closed', 'dot', 'deviates', 2],
      'reset-after-dot-reply': ['delivered', 'quit', 'conformant', 1],
      'reset-bdat-mid-chunks-64k': [undefined, undefined, 'n/a', undefined],
    });
    expect(results.find((r) => r.scenarioId.endsWith('close-after-dot'))?.outcome?.detail).toMatch(
      /status=deferred \(lost connection .*; retried: status=deferred/,
    );
  }, 60_000);

  it("relays a message over Postfix's default size limit (10240000): the relay is not what limits a scenario", async (test) => {
    const scenario = {
      id: 'test/relay/over-default-limit',
      suite: 'test/relay',
      protocol: 'smtp' as const,
      title: 'a 12 MiB message',
      expect: { client: 'delivers' as const, rule: 'RULE' },
      messageBytes: 12 * 2 ** 20,
    };
    const [result] = await runInTest(test, [scenario], [postfixRelayClient], { targets: builtinTargets() });
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
  }, 60_000);
});
