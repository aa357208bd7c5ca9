/**
 * SMTP AUTH from the job (RFC 4954), end to end through the proxy: every client that logs in delivers
 * to the mock requiring AUTH, and a wrong password ends in the mock's 535, with no form of either
 * password in the transcript or the report. curl and swaks are process clients: their command line,
 * read from /proc as `ps` reads it while they run, never holds the password, and curl's config file
 * (0600, in a private 0700 folder) is gone after the run, and at once when the run is aborted.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { curlClient, curlSmtpArgs } from '../../src/clients/curl.js';
import { msmtpClient } from '../../src/clients/msmtp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksArgs, swaksClient } from '../../src/clients/swaks.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob, TlsMode } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { Targets } from '../../src/engine/targets.js';
import type { Phase, SmtpScenario } from '../../src/engine/types.js';
import { toJsonReport } from '../../src/report/json.js';
import { withPrivateTmp } from '../helpers/private-tmp.js';
import { contentOf } from '../../src/util/content.js';

/** The mock's own login (src/commands/targets.ts), and a wrong password for its user. */
const PASSWORD = 'wireprobe-smtp-secret';
const WRONG = 'wrong-pw-4954';
const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** Every form a password travels in: as is, AUTH LOGIN's base64, AUTH PLAIN's response. */
const forms = (password: string): string[] => [password, b64(password), b64(`\0wireprobe\0${password}`)];

const login = (tls: TlsMode, expect: SmtpScenario['expect']): SmtpScenario => ({
  id: 'auth/login',
  suite: 'auth',
  protocol: 'smtp',
  title: 'the mock requires AUTH',
  expect,
  messageBytes: 4096,
  server: { auth: 'required' },
  tls,
});
const delivers = login('none', { client: 'delivers', rule: 'RFC 4954 §6: after the 235 the transaction goes on as usual' });
const fails = login('none', { client: 'fails', rule: 'RFC 4954 §6: a 535 to AUTH is a failure to report' });

/** The built-in servers, with the mock's user given a wrong password. */
function wrongPassword(): Targets {
  const builtin = builtinTargets();
  return {
    ...builtin,
    startSmtp: async (name, scenario, family) => {
      const started = await builtin.startSmtp(name, scenario, family);
      return 'na' in started ? started : { target: { ...started.target, auth: { user: 'wireprobe', password: WRONG } } };
    },
  };
}

/**
 * [client, TLS, phase of the delivery, phase of the 535]. A delivery ends where the client stops:
 * nodemailer closes after the dot's 250, the others send QUIT. A 535 is at `auth`, the step it answered,
 * whatever the client sends after it (swaks a QUIT). msmtp will not log in in clear, so it runs with STARTTLS.
 */
const CLIENTS: readonly (readonly [SmtpClientAdapter, TlsMode, Phase, Phase])[] = [
  [nodemailerPlain, 'none', 'dot', 'auth'],
  [curlClient, 'none', 'quit', 'auth'],
  [swaksClient, 'none', 'quit', 'auth'],
  [smtplibClient, 'none', 'quit', 'auth'],
  [msmtpClient, 'starttls', 'quit', 'auth'],
  [curlClient, 'starttls', 'quit', 'auth'],
  [swaksClient, 'starttls', 'quit', 'auth'],
];

describe.each(CLIENTS.map(([client, tls, delivered, refused]) => ({ name: client.name, client, tls, delivered, refused })))(
  '$name logging in, TLS $tls',
  ({ client, tls, delivered, refused }) => {
    it('delivers to the mock that requires AUTH, the password in no transcript or report, nothing left in the temporary folder', async () => {
      const { result, left } = await withPrivateTmp(() => runScenario({ scenario: { ...delivers, tls }, client }, builtinTargets()));
      expect([result.outcome?.kind, result.outcome?.phase, result.verdict], result.reason).toEqual(['delivered', delivered, 'conformant']);
      expect(result.sink).toEqual({ copies: 1, intact: true });
      const transcript = result.transcript.join('\n');
      expect(transcript).toMatch(/ C {2}AUTH (PLAIN|LOGIN)/);
      expect(transcript).toMatch(/ S {2}235 /);
      const report = JSON.stringify(toJsonReport([result], '0.0.0', undefined, { blob: true }));
      for (const form of forms(PASSWORD)) expect(report).not.toContain(form);
      expect(left).toEqual([]);
    });

    it('reports the 535 to a wrong password as a reply, the password in no transcript or report', async () => {
      const { result, left } = await withPrivateTmp(() => runScenario({ scenario: { ...fails, tls }, client }, wrongPassword()));
      expect(result.outcome).toMatchObject({ kind: 'reply', code: 535, phase: refused });
      expect(result.verdict).toBe('conformant');
      expect(result.sink).toEqual({ copies: 0, intact: true });
      const report = JSON.stringify(toJsonReport([result], '0.0.0', undefined, { blob: true }));
      for (const form of forms(WRONG)) expect(report).not.toContain(form);
      expect(left).toEqual([]);
    });
  },
);

/** The argument vectors of the running processes that have `arg` among their arguments, as `ps` shows them. */
async function commandLines(arg: string): Promise<{ readonly pid: string; readonly argv: string[] }[]> {
  const found: { pid: string; argv: string[] }[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const argv = await readFile(`/proc/${pid}/cmdline`, 'latin1').then(
      (text) => text.split('\0').slice(0, -1),
      () => [], // gone meanwhile
    );
    if (argv.some((a) => a === arg || a.endsWith(`:${arg}`))) found.push({ pid, argv });
  }
  return found;
}

/** What was there while the client waited for a greeting: its command line and environment, the files in the temporary folder. */
interface Seen {
  /** Each process's arguments, environment, and its environment's permission bits (/proc/PID/environ). */
  readonly processes: readonly { readonly argv: readonly string[]; readonly environ: string; readonly environMode: number }[];
  /** Path (under the temporary folder) and permission bits of each folder and file there. */
  readonly files: readonly (readonly [string, number])[];
  /** The temporary folder's entries right after the abort. */
  readonly afterAbort: readonly string[];
}

/**
 * Runs `client` with a login against a listener that never greets: once the client has connected, it
 * records what `ps` and the temporary folder show, aborts the run, and resolves with that, the
 * client's report and what was left in the folder once the run was over.
 */
async function abortedAtGreeting(client: SmtpClientAdapter): Promise<{ job: SmtpJob; seen: Seen; report: ClientReport; left: string[] }> {
  const controller = new AbortController();
  const sockets = new Set<net.Socket>();
  let seen: Promise<Seen> | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const tmp = process.env.TMPDIR ?? '';
    seen ??= (async () => {
      try {
        const port = String((server.address() as AddressInfo).port);
        const processes = await Promise.all(
          (await commandLines(port)).map(async ({ pid, argv }) => ({
            argv,
            environ: await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => ''),
            environMode: await stat(`/proc/${pid}/environ`).then(
              (s) => s.mode & 0o777,
              () => -1,
            ),
          })),
        );
        const files: [string, number][] = [];
        for (const entry of await readdir(tmp, { recursive: true })) files.push([entry, (await stat(join(tmp, entry))).mode & 0o777]);
        return { processes, files };
      } finally {
        // Whatever was seen, the client must not wait for a greeting until its own timeouts.
        controller.abort();
      }
    })().then(async (before) => ({
      ...before,
      // inTempDir removes the folder in the abort's own tick: nothing is left to a second Ctrl-C.
      afterAbort: await readdir(tmp),
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const job: SmtpJob = {
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      from: 'a@wireprobe.test',
      to: ['b@wireprobe.test'],
      content: contentOf(Buffer.from('Subject: login\r\n\r\nhello\r\n')),
      timeouts: { connect: 10_000, greeting: 30_000, socket: 30_000, deadline: 60_000 },
      auth: { user: 'alice', password: PASSWORD },
    };
    const { result: report, left } = await withPrivateTmp(() => client.run(job, controller.signal));
    if (!seen) throw new Error(`${client.name} never connected`);
    return { job, seen: await seen, report, left };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('the password of a process client, as ps would see it', () => {
  it('curl: not in its arguments; in a 0600 config file in a 0700 folder, removed at the abort', async () => {
    const { job, seen, report, left } = await abortedAtGreeting(curlClient);
    expect(seen.processes.map((p) => p.argv[0])).toEqual(['curl']);
    const [curl] = seen.processes;
    expect(curl!.argv.join(' ')).not.toContain(PASSWORD);
    expect(curl!.environ).not.toContain(PASSWORD);
    const config = curl!.argv[curl!.argv.indexOf('--config') + 1]!;
    // Exactly the arguments wireprobe built: curl blanks a --user password in its own argv once it has
    // read it (ps may still see it before), so an argument added here could hide behind that.
    expect(curl!.argv.slice(1)).toEqual(curlSmtpArgs(job, config));
    expect(seen.files).toEqual([
      [expect.stringMatching(/^wireprobe-curl-\w+$/), 0o700],
      [expect.stringMatching(/^wireprobe-curl-\w+\/config$/), 0o600],
    ]);
    expect(config.endsWith(seen.files[1]![0])).toBe(true);
    expect(seen.afterAbort).toEqual([]);
    expect(report.ok).toBe(false);
    expect(left).toEqual([]);
  });

  it('swaks: not in its arguments, only in its environment (readable by its owner alone), and no file', async () => {
    const { job, seen, report, left } = await abortedAtGreeting(swaksClient);
    // swaks is a Perl script: the kernel runs it as `perl /usr/bin/swaks ...`.
    expect(seen.processes.map((p) => p.argv.slice(0, 2).join(' '))).toEqual([expect.stringMatching(/perl .*swaks$/)]);
    const [swaks] = seen.processes;
    expect(swaks!.argv.join(' ')).not.toContain(PASSWORD);
    expect(swaks!.argv.slice(2)).toEqual(swaksArgs(job));
    expect(swaks!.argv).toEqual(expect.arrayContaining(['--auth', '--auth-user', 'alice']));
    expect(swaks!.environ.split('\0')).toContain(`SWAKS_OPT_auth_password=${PASSWORD}`);
    expect(swaks!.environMode).toBe(0o400);
    expect(seen.files).toEqual([]);
    expect(report.ok).toBe(false);
    expect(left).toEqual([]);
  });
});

describe("curl and the user's own ~/.curlrc", () => {
  it('reads none: a connect-to there would have sent curl elsewhere (refused at connect)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'wireprobe-curlrc-'));
    const before = process.env.CURL_HOME;
    try {
      // Port 9 on loopback: nothing listens there.
      await writeFile(join(home, '.curlrc'), 'connect-to = "::127.0.0.1:9"\n');
      process.env.CURL_HOME = home;
      const result = await runScenario({ scenario: delivers, client: curlClient }, builtinTargets());
      expect([result.outcome?.kind, result.outcome?.phase, result.verdict], result.reason).toEqual(['delivered', 'quit', 'conformant']);
    } finally {
      if (before === undefined) delete process.env.CURL_HOME;
      else process.env.CURL_HOME = before;
      await rm(home, { recursive: true, force: true });
    }
  });
});
