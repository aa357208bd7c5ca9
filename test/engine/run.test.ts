import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { builtinTargets } from '../../src/commands/targets.js';
import type { ClientAdapter, ClientReport, SmtpClientAdapter, SmtpJob } from '../../src/clients/types.js';
import { withDeadline } from '../../src/engine/deadline.js';
import { neverConnected } from '../../src/engine/protocol-run.js';
import { runScenario, runScenarios, scheduled } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { contentOf } from '../../src/util/content.js';

const targets = builtinTargets();

const base: SmtpScenario = {
  id: 'test/runner/clean',
  suite: 'test/runner',
  protocol: 'smtp',
  title: 'a clean send',
  expect: { client: 'delivers', rule: 'RULE' },
  messageBytes: 4096,
};

/** A client that connects, then never reports: the runner's deadline must stop it. */
function neverReturns(seen: { aborted: boolean; socket?: net.Socket }): ClientAdapter {
  return {
    name: 'never-returns',
    protocol: 'smtp',
    description: 'connects and waits forever',
    run: (job: SmtpJob, signal: AbortSignal) => {
      seen.socket = net.connect({ host: job.host, port: job.port });
      seen.socket.on('error', () => undefined);
      seen.socket.resume();
      signal.addEventListener('abort', () => {
        seen.aborted = true;
      });
      return new Promise(() => undefined);
    },
  };
}

describe('runner', () => {
  it('delivers a clean message once, intact, through the proxy', async () => {
    const result = await runScenario({ scenario: base, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({
      id: 'test/runner/clean/nodemailer',
      verdict: 'conformant',
      faultFired: false,
      outcome: { kind: 'delivered', phase: 'dot', bytesSent: 4096 },
      sink: { copies: 1, intact: true },
    });
  });

  it('counts no intact copy of a message the client changed before sending it', async () => {
    const changes: ClientAdapter = {
      ...nodemailerPlain,
      name: 'changes',
      run: (job: SmtpJob, signal: AbortSignal) => {
        const changed = job.content.bytes();
        changed.fill(0x41, changed.length - 100, changed.length - 2);
        return nodemailerPlain.run({ ...job, content: contentOf(changed) }, signal);
      },
    };
    const result = await runScenario({ scenario: base, client: changes }, targets);
    expect(result).toMatchObject({ outcome: { kind: 'delivered', phase: 'dot' }, sink: { copies: 1, intact: false }, verdict: 'deviates' });
  });

  it('stops a client that never returns at the deadline, reports it hung and closes its connection', async () => {
    const seen: { aborted: boolean; socket?: net.Socket } = { aborted: false };
    const scenario: SmtpScenario = { ...base, id: 'test/runner/hang', expect: { client: 'fails', rule: 'RULE' }, timeouts: { deadline: 300 } };
    const result = await runScenario({ scenario, client: neverReturns(seen) }, targets);
    expect(result.outcome).toMatchObject({ kind: 'hung', phase: 'greeting', bytesSent: 0 });
    expect(result.verdict).toBe('deviates');
    expect(seen.aborted).toBe(true);
    await new Promise((resolve) => (seen.socket!.closed ? resolve(undefined) : seen.socket!.once('close', resolve)));
  });

  it('reports a fault that never fired as unfired, not as a pass', async () => {
    const scenario: SmtpScenario = { ...base, id: 'test/runner/unfired', fault: { kind: 'reset', at: { after: 'BDAT' } } };
    const result = await runScenario({ scenario, client: nodemailerPlain }, targets);
    expect(result).toMatchObject({ verdict: 'unfired', faultFired: false, outcome: { kind: 'delivered' } });
  });

  describe('a client that never connected', () => {
    /** A client that reaches nothing of the run's: `report` is what it says (hang: never returns). */
    const absent = (report: 'refused elsewhere' | 'success' | 'hang'): ClientAdapter => ({
      name: 'absent',
      protocol: 'smtp',
      description: 'never connects to the proxy',
      run: async () => {
        if (report === 'success') return { ok: true, detail: '250 queued (it says)' };
        if (report === 'hang') return new Promise<never>(() => undefined);
        // What a command that connected elsewhere (a template without {port}) says.
        return { ok: false, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25' } };
      },
    });
    const faulted: SmtpScenario = {
      ...base,
      id: 'test/runner/absent',
      fault: { kind: 'reset', at: { after: 'MAIL' } },
      expect: { client: 'fails', rule: 'RULE', mustSend: { step: 'QUIT', rule: 'RFC 5321 §3.8' } },
      timeouts: { deadline: 500 },
    };
    const NEVER = /^absent never connected: nothing reached 127\.0\.0\.1:\d+, which accepted connections throughout the run; /;

    it('is an error naming its own words, not refused by the server nor a client that skipped QUIT', async () => {
      const result = await runScenario({ scenario: faulted, client: absent('refused elsewhere') }, targets);
      expect(result).toMatchObject({ verdict: 'error', outcome: null, sink: null, faultFired: false, transcript: [] });
      expect(result.reason).toMatch(NEVER);
      expect(result.reason).toMatch(/; it reported a failure: ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:25$/);
    });

    it('is an error when it reports success, not a lost message', async () => {
      const result = await runScenario({ scenario: base, client: absent('success') }, targets);
      expect(result).toMatchObject({ verdict: 'error', outcome: null });
      expect(result.reason).toMatch(NEVER);
      expect(result.reason).toMatch(/; yet it reported success: 250 queued \(it says\)$/);
    });

    it('is not one whose connection the server turned away: that is the outcome it saw', async () => {
      const client: ClientAdapter = {
        name: 'turned-away',
        protocol: 'smtp',
        description: 'connects once and reports what it met',
        run: async (job: SmtpJob): Promise<ClientReport> => {
          const socket = net.connect(job.port, job.host);
          const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
          return { ok: false, error: { code: error.code, message: error.message } };
        },
      };
      const scenario: SmtpScenario = { ...faulted, fault: { kind: 'limit', max: 0, over: 'reset', at: 'connect' } };
      const result = await runScenario({ scenario, client }, targets);
      expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'reset', phase: 'connect' } });
    });

    it('names the IPv6 address it was given in brackets', () => {
      expect(neverConnected('c', 'hung', { host: '::1', port: 2525 })).toBe(
        'c never connected: nothing reached [::1]:2525, which accepted connections throughout the run; it was still running at the deadline',
      );
    });

    it('is an error when the deadline stops it, not a hang at connect', async () => {
      const result = await runScenario({ scenario: faulted, client: absent('hang') }, targets);
      expect(result).toMatchObject({ verdict: 'error', outcome: null });
      expect(result.reason).toMatch(/; it was still running at the deadline$/);
    });
  });

  describe('a client that gives up on its own', () => {
    /**
     * Reads the greeting, says `then` (if anything) and, once a line starting with `until` came (the
     * greeting: at once), closes its connection and reports a failure with no code, as a command that
     * exited 1 does (nullmailer without HELOHOST). `patienceMs`: how long it waits for `until` (its timeout).
     */
    const givesUp = (then = '', until = '220 ', patienceMs = 10_000): ClientAdapter => ({
      name: 'gives-up',
      protocol: 'smtp',
      description: 'leaves after the greeting',
      run: async (job: SmtpJob): Promise<ClientReport> => {
        const socket = net.connect(job.port, job.host);
        socket.on('error', () => undefined);
        let text = '';
        const closed = new Promise((resolve) => socket.once('close', resolve));
        const came = await new Promise<boolean>((resolve) => {
          socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1');
            if (text.includes('220 ') && then !== '') {
              socket.write(then);
              then = '';
            }
            if (text.split('\r\n').some((line) => line.startsWith(until) && (until !== '220 ' || then === ''))) resolve(true);
          });
          setTimeout(() => resolve(false), patienceMs);
        });
        if (!came) {
          // Its own timeout: it gives up on a reply it was owed.
          socket.destroy();
          return { ok: false, error: { message: 'timed out', meaning: 'wire' } };
        }
        socket.end();
        await closed;
        return { ok: false, error: { message: 'cannot go on', meaning: 'wire' } };
      },
    });

    it('reads closed by the client, not a timeout, when it leaves after the greeting owed nothing', async () => {
      const result = await runScenario({ scenario: base, client: givesUp() }, targets);
      expect(result).toMatchObject({ verdict: 'deviates', outcome: { kind: 'closed', phase: 'greeting', byClient: true, detail: 'cannot go on' } });
      expect(result.reason).toBe('did not deliver (closed@greeting by the client, on its turn); RULE');
    });

    it('reads closed by the client when it leaves after the reply to its EHLO', async () => {
      const result = await runScenario({ scenario: base, client: givesUp('EHLO me\r\n', '250 ') }, targets);
      expect(result.outcome).toMatchObject({ kind: 'closed', phase: 'ehlo', byClient: true });
    });

    it('is unfired, not a pass, where the fault was to cut its connection and it had left first', async () => {
      const scenario: SmtpScenario = {
        ...base,
        id: 'test/runner/left-first',
        fault: { kind: 'reset', at: { after: 'greeting' } },
        expect: { client: 'fails', rule: 'RULE' },
      };
      const result = await runScenario({ scenario, client: givesUp() }, targets);
      expect(result).toMatchObject({ verdict: 'unfired', faultFired: true, outcome: { kind: 'closed', phase: 'greeting', byClient: true } });
      expect(result.reason).toBe(
        'the fault fired, but the client had left before its cut reached it (closed@greeting by the client, on its turn): the run says nothing of how it meets one',
      );
    });

    it('still reads a timeout when it leaves while a reply is owed', async () => {
      const scenario: SmtpScenario = {
        ...base,
        id: 'test/runner/gave-up-waiting',
        fault: { kind: 'stall', at: { before: 'reply', to: 'EHLO' } },
        expect: { client: 'fails', rule: 'RULE' },
      };
      const result = await runScenario({ scenario, client: givesUp('EHLO me\r\n', '250', 200) }, targets);
      expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'timeout', phase: 'ehlo' } });
      expect(result.outcome).not.toHaveProperty('byClient');
    });
  });

  describe('a client that composes its own message', () => {
    /** Sends `copies` times a message of its own, not the job's, through nodemailer. */
    const composer = (copies = 1, composes = true): SmtpClientAdapter => ({
      ...nodemailerPlain,
      name: 'composer',
      ...(composes ? { composes: true } : {}),
      run: async (job: SmtpJob, signal: AbortSignal) => {
        const own = contentOf(Buffer.from(`From: app@wireprobe.test\r\nSubject: ${job.content.size}\r\n\r\nits own words\r\n`));
        let report = await nodemailerPlain.run({ ...job, content: own }, signal);
        for (let i = 1; i < copies; i++) report = await nodemailerPlain.run({ ...job, content: own }, signal);
        return report;
      },
    });
    const COUNTED = /; its messages counted, not compared: it composes its own$/;

    it('is judged on how many messages arrived: one, delivered', async () => {
      const result = await runScenario({ scenario: base, client: composer() }, targets);
      expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered', phase: 'dot' }, sink: { copies: 1, intact: true } });
      expect(result.reason).toMatch(/^delivered exactly once; RULE; its messages counted/);
      expect(result.reason).toMatch(COUNTED);
    });

    it("is counted in a real MTA's mailbox too, after its trace headers: Postfix", async () => {
      const result = await runScenario({ scenario: { ...base, id: 'test/runner/composed-postfix' }, client: composer(), server: 'postfix' }, targets);
      expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
      expect(result.reason).toMatch(COUNTED);
    });

    it('deviates when the server holds its message twice', async () => {
      const result = await runScenario({ scenario: base, client: composer(2) }, targets);
      expect(result).toMatchObject({ verdict: 'deviates', sink: { copies: 2 } });
      expect(result.reason).toMatch(/^duplicate delivery: the server accepted 2 copies; its messages counted/);
    });

    it('counts several messages: none lost, none twice', async () => {
      const scenario: SmtpScenario = {
        ...base,
        id: 'test/runner/composed-many',
        sends: { count: 3, mode: 'sequential' },
        expect: { client: 'accounts', rule: 'RULE' },
      };
      const result = await runScenario({ scenario, client: composer() }, targets);
      expect(result).toMatchObject({ verdict: 'conformant', messages: { sent: 3, reportedDelivered: 3, lost: 0, duplicated: 0, changed: 0 } });
      expect(result.reason).toMatch(COUNTED);
    });

    it('counts more stored than sent as twice, fewer than reported delivered as lost', async () => {
      const scenario: SmtpScenario = {
        ...base,
        id: 'test/runner/composed-count',
        sends: { count: 3, mode: 'sequential' },
        expect: { client: 'accounts', rule: 'RULE' },
      };
      const twice = await runScenario({ scenario, client: composer(2) }, targets);
      expect(twice).toMatchObject({ verdict: 'deviates', messages: { reportedDelivered: 3, lost: 0, duplicated: 3 } });
      // It sends its message for the first job only, and says every one went.
      let first = true;
      const once: SmtpClientAdapter = {
        ...composer(),
        run: async (job: SmtpJob, signal: AbortSignal) => {
          if (!first) return { ok: true, detail: '250 (it says)' };
          first = false;
          return composer().run(job, signal);
        },
      };
      const lost = await runScenario({ scenario, client: once }, targets);
      expect(lost).toMatchObject({ verdict: 'deviates', messages: { reportedDelivered: 3, lost: 2, duplicated: 0 } });
    });

    it('is n/a where the message it would send is the point: dot-stuffed lines', async () => {
      const scenario: SmtpScenario = { ...base, id: 'test/runner/composed-dots', message: 'dots' };
      const result = await runScenario({ scenario, client: composer() }, targets);
      expect(result).toMatchObject({ verdict: 'n/a' });
      expect(result.reason).toBe('composer composes its own message, so the dot-stuffed lines this scenario sends (and checks arrived intact) are not its');
    });

    it('without message: own, reads as a client that changed the message', async () => {
      const result = await runScenario({ scenario: base, client: composer(1, false) }, targets);
      expect(result).toMatchObject({ verdict: 'deviates', sink: { copies: 1, intact: false } });
    });

    it('says a body-offset fault never fired because its message was shorter', async () => {
      const scenario: SmtpScenario = {
        ...base,
        id: 'test/runner/composed-short',
        fault: { kind: 'reset', at: { after: 'DATA', bytes: 65536 } },
        expect: { client: 'fails', rule: 'RULE' },
      };
      const result = await runScenario({ scenario, client: composer() }, targets);
      expect(result).toMatchObject({ verdict: 'unfired', outcome: { kind: 'delivered' } });
      expect(result.reason).toMatch(
        /^the fault never fired: no message body reached octet 65536 \(the longest had \d+\); the client saw delivered; its messages counted/,
      );
    });
  });

  it('runs every scenario with every client of its protocol, in input order, within the concurrency', async () => {
    const scenarios = [1, 2, 3].map((n) => ({ ...base, id: `test/runner/n${n}` }));
    const seen: string[] = [];
    const results = await runScenarios(scenarios, [nodemailerPlain], { targets, concurrency: 2, onResult: (r) => seen.push(r.id) });
    expect(results.map((r) => r.id)).toEqual(['test/runner/n1/nodemailer', 'test/runner/n2/nodemailer', 'test/runner/n3/nodemailer']);
    expect(seen.sort()).toEqual(results.map((r) => r.id));
  });

  it('runs the scenarios scheduled apart after the rest, still reporting in input order', async () => {
    const apart: SmtpScenario = { ...base, id: 'test/runner/apart', schedule: 'apart' };
    const scenarios = [apart, { ...base, id: 'test/runner/shared' }];
    const seen: string[] = [];
    const results = await runScenarios(scenarios, [nodemailerPlain], { targets, concurrency: 4, onResult: (r) => seen.push(r.id) });
    expect(seen).toEqual(['test/runner/shared/nodemailer', 'test/runner/apart/nodemailer']);
    expect(results.map((r) => r.id)).toEqual(['test/runner/apart/nodemailer', 'test/runner/shared/nodemailer']);
  });

  it('splits runs into those that share the machine and those that run apart, by index', () => {
    const run = (schedule?: 'shared' | 'apart') => ({ scenario: { ...base, ...(schedule ? { schedule } : {}) }, client: nodemailerPlain });
    expect(scheduled([run('apart'), run(), run('shared'), run('apart')])).toEqual([
      [1, 2],
      [0, 3],
    ]);
  });

  it('reports a client that is not installed as n/a with its install hint, not a failure', async () => {
    const missing: ClientAdapter = {
      name: 'ghost',
      protocol: 'smtp',
      description: 'a client nobody installed',
      requires: { command: 'wireprobe-no-such-client', install: 'apt-get install ghost' },
      run: () => Promise.reject(new Error('must not run')),
    };
    const [result] = await runScenarios([base], [missing], { targets });
    expect(result).toMatchObject({ verdict: 'n/a', outcome: null, reason: 'wireprobe-no-such-client not found: apt-get install ghost' });
  });

  it('withDeadline returns the task result when it settles in time', async () => {
    await expect(withDeadline(async () => ({ ok: true, detail: 'x' }), 1000)).resolves.toEqual({ ok: true, detail: 'x' });
  });
});
