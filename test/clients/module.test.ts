/**
 * Module clients (`--client ./my-client.mjs|.ts`): loading, the usage errors for a module that is no
 * client, and how what a module resolves or throws becomes a ClientReport (codes, never text).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isModulePath, loadModuleClient, moduleError, receivedOf } from '../../src/clients/module.js';
import type { ClientAdapter, FtpClientAdapter, FtpJob, SmtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { classify, type Wire } from '../../src/engine/classify.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { isUserFacing } from '../../src/util/errors.js';
import { digestOf } from '../../src/util/digest.js';
import { contentOf } from '../../src/util/content.js';
import type { SmtpJob as PublicSmtpJob } from '../../src/index.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/clients');
const timeouts = { connect: 1000, greeting: 1000, socket: 1000, deadline: 2000 };
const smtpJob: SmtpJob = { host: '127.0.0.1', port: 1, from: 'a@example.test', to: ['b@example.test'], content: contentOf(Buffer.from('x\r\n')), timeouts };
const ftpJob: FtpJob = {
  host: '127.0.0.1',
  port: 1,
  user: 'alice',
  password: 'secret-pw',
  mode: 'passive',
  direction: 'download',
  path: '/f.bin',
  content: contentOf(Buffer.alloc(0)),
  timeouts,
};

let dirs: string[] = [];
afterEach(async () => {
  const pending = dirs;
  dirs = [];
  await Promise.all(pending.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes `source` as `file` in a fresh folder; returns the folder. */
async function moduleDir(file: string, source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-module-'));
  dirs.push(dir);
  await writeFile(join(dir, file), source);
  return dir;
}

/** The usage error `loadModuleClient` rejects with, as its one line. */
async function usageLine(path: string, cwd: string): Promise<string> {
  const error = await loadModuleClient(path, cwd).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUserFacing(error) && error.code === 'EUSAGE').toBe(true);
  const message = (error as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  return message;
}

async function loadOne(path: string, cwd: string): Promise<ClientAdapter> {
  const adapters = await loadModuleClient(path, cwd);
  expect(adapters).toHaveLength(1);
  return adapters[0]!;
}

describe('loadModuleClient', () => {
  it('loads an .mjs module relative to cwd as one SMTP adapter with its exported name', async () => {
    const adapter = await loadOne('./nodemailer-client.mjs', FIXTURES);
    expect(adapter).toMatchObject({ name: 'nodemailer-module', protocol: 'smtp', description: 'nodemailer plain transport, as a module client' });
  });

  it('loads an FTP module with passive mode by default', async () => {
    const adapter = await loadOne('basic-ftp-client.mjs', FIXTURES);
    expect(adapter).toMatchObject({ name: 'basic-ftp-module', protocol: 'ftp', modes: ['passive'], resumes: false, binds: false });
  });

  it('loads a .ts module through tsx, its default export from defineClient', async () => {
    const adapter = await loadOne(join(FIXTURES, 'typed-client.ts'), '/');
    expect(adapter).toMatchObject({ name: 'typed-client', protocol: 'smtp' });
    const report = await adapter.run(smtpJob as never, new AbortController().signal);
    expect(report).toEqual({ ok: false, error: { responseCode: 550, command: 'RCPT TO', meaning: 'wire', message: 'refused 1 recipient(s)' } });
  });

  it('loads a .ts default export that tsx compiles as CommonJS (no "type": "module" above it)', async () => {
    const dir = await moduleDir('plain.ts', 'export default { name: "plain-ts", async send(job: { from: string }) { return job.from; } };\n');
    const adapter = await loadOne('plain.ts', dir);
    expect(adapter).toMatchObject({ name: 'plain-ts', protocol: 'smtp' });
    expect(await adapter.run(smtpJob as never, new AbortController().signal)).toEqual({ ok: true, detail: 'a@example.test' });
  });

  it('loads a .ts client compiled as CommonJS that imports defineClient from the installed package', async () => {
    // A user's project without "type": "module": tsx compiles client.ts to CommonJS, so 'wireprobe' is
    // require()d through the exports of this repository's package.json (dist/ stubbed: no build needed).
    const dir = await moduleDir('package.json', '{ "name": "user-project", "private": true }\n');
    const pkg = join(dir, 'node_modules', 'wireprobe');
    await mkdir(join(pkg, 'dist', 'src'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), await readFile(resolve(import.meta.dirname, '../../package.json')));
    await writeFile(join(pkg, 'dist', 'src', 'index.js'), 'export function defineClient(client) {\n  return client;\n}\n');
    const source =
      "import { defineClient } from 'wireprobe';\nexport default defineClient({ name: 'cjs-ts', async send(job: { from: string }) { return job.from; } });\n";
    await writeFile(join(dir, 'client.ts'), source);
    const adapter = await loadOne('client.ts', dir);
    expect(adapter).toMatchObject({ name: 'cjs-ts', protocol: 'smtp' });
    expect(await adapter.run(smtpJob as never, new AbortController().signal)).toEqual({ ok: true, detail: 'a@example.test' });
  });

  it('gives one adapter per exported function, named after the file by default, with declared modes', async () => {
    const source = 'export const modes = ["active", "passive"];\nexport async function send() {}\nexport async function transfer() {}\n';
    const dir = await moduleDir('both-ways.mjs', source);
    const adapters = await loadModuleClient('both-ways.mjs', dir);
    expect(adapters.map((a) => [a.name, a.protocol])).toEqual([
      ['both-ways', 'smtp'],
      ['both-ways', 'ftp'],
    ]);
    expect(adapters[1]).toMatchObject({ modes: ['active', 'passive'] });
    expect((adapters[1] as FtpClientAdapter).directions).toBeUndefined(); // both
  });

  it('takes declared directions: a download-only transfer() is n/a for uploads', async () => {
    const dir = await moduleDir('fetch-only.mjs', 'export const directions = ["download"];\nexport async function transfer() {}\n');
    expect(await loadOne('fetch-only.mjs', dir)).toMatchObject({ protocol: 'ftp', directions: ['download'] });
    // A module that only sends is not held to an FTP export it happens to have.
    await writeFile(join(dir, 'mailer.mjs'), 'export const directions = "both ways";\nexport async function send() {}\n');
    expect(await loadOne('mailer.mjs', dir)).toMatchObject({ protocol: 'smtp', name: 'mailer' });
  });

  it('loads a CommonJS module through its default export', async () => {
    const dir = await moduleDir('common.cjs', 'module.exports = { name: "common", send: async () => "250 ok" };\n');
    const adapter = await loadOne('common.cjs', dir);
    expect(await adapter.run(smtpJob as never, new AbortController().signal)).toEqual({ ok: true, detail: '250 ok' });
  });

  it('rejects a module that exports neither send nor transfer, naming the file', async () => {
    expect(await usageLine('./no-exports.mjs', FIXTURES)).toBe('client module "./no-exports.mjs": exports neither send(job, signal) nor transfer(job, signal)');
  });

  it('rejects a module with a syntax error in one line naming the file', async () => {
    const dir = await moduleDir('broken.mjs', 'export function send(job {\n  return job;\n}\n');
    expect(await usageLine('broken.mjs', dir)).toMatch(/^client module "broken\.mjs" does not load: .+/);
  });

  it('rejects a TypeScript module with a syntax error in one line naming the file', async () => {
    const dir = await moduleDir('broken.ts', 'export function send(job: {\n  return job;\n}\n');
    expect(await usageLine('broken.ts', dir)).toMatch(/^client module "broken\.ts" does not load: .+/);
  });

  it('rejects a missing file, a file of another kind, and bad exports', async () => {
    const dir = await moduleDir('bad-modes.mjs', 'export const modes = ["epsv"];\nexport function transfer() {}\n');
    await writeFile(join(dir, 'bad-name.mjs'), 'export const name = "my client";\nexport function send() {}\n');
    await writeFile(join(dir, 'not-a-function.mjs'), 'export const send = "swaks";\n');
    await writeFile(join(dir, 'bad-directions.mjs'), 'export const directions = ["get"];\nexport function transfer() {}\n');
    await writeFile(join(dir, 'no-directions.mjs'), 'export const directions = [];\nexport function transfer() {}\n');
    expect(await usageLine('./missing.mjs', dir)).toBe(`client module "./missing.mjs": no such file ("${join(dir, 'missing.mjs')}")`);
    expect(await usageLine('client.py', dir)).toBe('client module "client.py": expected a .mjs, .js, .cjs, .ts, .mts or .cts file');
    expect(await usageLine('bad-modes.mjs', dir)).toBe('client module "bad-modes.mjs": modes: "epsv" is not one of "passive", "active"');
    expect(await usageLine('bad-directions.mjs', dir)).toBe('client module "bad-directions.mjs": directions: "get" is not one of "upload", "download"');
    expect(await usageLine('no-directions.mjs', dir)).toBe(
      'client module "no-directions.mjs": directions must be a non-empty list of "upload" and "download", not "[]"',
    );
    expect(await usageLine('bad-name.mjs', dir)).toMatch(/^client module "bad-name\.mjs": name "my client" must be/);
    expect(await usageLine('not-a-function.mjs', dir)).toBe('client module "not-a-function.mjs": send must be a function, not string');
  });

  it("takes a name of 1 to 40 characters, as a command client's, and refuses a longer one in one line naming the module and the name", async () => {
    const dir = await moduleDir('forty.mjs', `export const name = "${'n'.repeat(40)}";\nexport function send() {}\n`);
    await writeFile(join(dir, 'long.mjs'), `export const name = "${'x'.repeat(500)}";\nexport function send() {}\n`);
    await writeFile(join(dir, 'forty-one.mjs'), `export const name = "${'y'.repeat(41)}";\nexport function send() {}\n`);
    await writeFile(join(dir, `${'z'.repeat(41)}.mjs`), 'export function send() {}\n');
    expect(await loadOne('forty.mjs', dir)).toMatchObject({ name: 'n'.repeat(40) });
    const rule = 'must be 1 to 40 letters, digits, ".", "_" or "-", starting with a letter or digit (export a name)';
    expect(await usageLine('long.mjs', dir)).toBe(`client module "long.mjs": name "${'x'.repeat(40)}…" (500 chars) ${rule}`);
    expect(await usageLine('forty-one.mjs', dir)).toBe(`client module "forty-one.mjs": name "${'y'.repeat(40)}…" (41 chars) ${rule}`);
    // The default name, the file's, is held to the same rule.
    expect(await usageLine(`${'z'.repeat(41)}.mjs`, dir)).toBe(`client module "${'z'.repeat(41)}.mjs": name "${'z'.repeat(40)}…" (41 chars) ${rule}`);
  });

  it('takes message: "own" for a module that sends a message of its own, and refuses any other value in one line', async () => {
    const dir = await moduleDir('own.mjs', 'export const message = "own";\nexport function send() {}\n');
    await writeFile(join(dir, 'given.mjs'), 'export const message = "given";\nexport function send() {}\n');
    await writeFile(join(dir, 'mine.mjs'), 'export const message = "mine";\nexport function send() {}\n');
    expect(await loadOne('own.mjs', dir)).toMatchObject({ protocol: 'smtp', composes: true });
    expect((await loadOne('given.mjs', dir)) as { composes?: boolean }).not.toHaveProperty('composes');
    expect(await usageLine('mine.mjs', dir)).toBe(
      'client module "mine.mjs": message must be "given" (send() sends job.message) or "own" (it composes its own), not "mine"',
    );
  });

  it('rejects a module whose top level throws a value with no string form, in one line naming the file', async () => {
    const dir = await moduleDir('no-string.mjs', 'throw Object.create(null);\nexport function send() {}\n');
    expect(await usageLine('no-string.mjs', dir)).toBe('client module "no-string.mjs" does not load: a value that is not an Error');
  });
});

describe('isModulePath', () => {
  it('tells a module file from a client name by its extension', () => {
    expect(['./a.mjs', 'a.js', '/x/a.CJS', 'a.ts', 'a.mts', 'a.cts'].map(isModulePath)).toEqual([true, true, true, true, true, true]);
    expect(['nodemailer', 'basic-ftp', 'client.py', 'all'].map(isModulePath)).toEqual([false, false, false, false]);
  });
});

describe('a module adapter run', () => {
  it('never rejects: a synchronous throw, a rejected non-Error and a thrown null are failures', async () => {
    const source = [
      'export const name = "thrower";',
      'export function send(job) {',
      '  if (job.from === "sync@x") throw Object.assign(new Error("boom"), { code: "ECONNRESET", syscall: "read" });',
      '  if (job.from === "text@x") return Promise.reject("plain text");',
      '  throw null;',
      '}',
    ].join('\n');
    const adapter = await loadOne('thrower.mjs', await moduleDir('thrower.mjs', source));
    const run = (from: string) => adapter.run({ ...smtpJob, from } as never, new AbortController().signal);
    expect(await run('sync@x')).toEqual({ ok: false, error: { code: 'ECONNRESET', meaning: 'wire', message: 'boom' } });
    expect(await run('text@x')).toEqual({ ok: false, error: { meaning: 'wire', message: 'plain text' } });
    expect(await run('null@x')).toEqual({ ok: false, error: { meaning: 'wire', message: 'null' } });
  });

  it('gives the module its message whole in `message`, made when first read, which it may replace; and the stream in `content`', async () => {
    const source = [
      'export function send(job) {',
      '  const first = job.message.toString("latin1");',
      '  const streamed = job.content.bytes().toString("latin1");',
      '  job.message = Buffer.from("mine");',
      '  return [first, streamed, job.message.toString("latin1"), Object.keys(job).includes("message")].join("|");',
      '}',
    ].join('\n');
    const adapter = await loadOne('whole.mjs', await moduleDir('whole.mjs', source));
    expect(await adapter.run(smtpJob as never, new AbortController().signal)).toEqual({ ok: true, detail: 'x\r\n|x\r\n|mine|true' });
    // The public job type: one built by hand, as a module's own test builds it, needs `message` only.
    const byHand: PublicSmtpJob = { host: '127.0.0.1', port: 1, from: 'a@example.test', to: ['b@example.test'], message: Buffer.from('x\r\n'), timeouts };
    expect(byHand.content).toBeUndefined();
  });

  it('blames the client for a thrown value with no string form or whose fields throw when read, never failing itself', async () => {
    const source = [
      'const hostile = new Proxy({}, { get() { throw new Error("no reading me"); }, has() { throw new Error("no"); } });',
      'export function send(job) {',
      '  if (job.from === "null-proto@x") throw Object.create(null);',
      '  if (job.from === "proxy@x") throw hostile;',
      '  if (job.from === "getter@x") throw Object.defineProperty(Object.create(null), "message", { get() { throw new Error("no"); } });',
      // Resolving reads `then`; any other read throws.
      '  return new Proxy({}, { get(_, key) { if (key === "then") return undefined; throw new Error("no reading me"); } });',
      '}',
    ].join('\n');
    const adapter = await loadOne('hostile.mjs', await moduleDir('hostile.mjs', source));
    const run = (from: string) => adapter.run({ ...smtpJob, from } as never, new AbortController().signal);
    const blamed = { ok: false, error: { meaning: 'wire', message: 'threw a value that is not an Error' } };
    expect(await run('null-proto@x')).toEqual(blamed);
    expect(await run('proxy@x')).toEqual(blamed);
    expect(await run('getter@x')).toEqual(blamed);
    // A resolved value that cannot be read is a success with the plain detail.
    expect(await run('resolved@x')).toEqual({ ok: true, detail: 'send() resolved' });
  });

  it('masks the password in every text it takes from the module: detail, code, cause, command and message', async () => {
    const source = [
      'export function send(job) {',
      '  const pw = job.auth.password;',
      '  if (job.from === "ok@x") return { response: "250 queued (logged in with " + pw + ")" };',
      '  throw Object.assign(new Error("auth " + pw + " refused"), { code: "E" + pw, command: "AUTH PLAIN " + pw, cause: { code: "C" + pw } });',
      '}',
      'export function transfer(job) {',
      '  const pw = job.password;',
      '  if (job.direction === "upload") return "stored as " + job.user + ":" + pw;',
      '  throw Object.assign(new Error("530 " + pw), { code: "E" + pw, command: "PASS " + pw, originalCode: "O" + pw });',
      '}',
    ].join('\n');
    const [smtp, ftp] = await loadModuleClient('leaky.mjs', await moduleDir('leaky.mjs', source));
    const signal = new AbortController().signal;
    const auth = { user: 'alice', password: 'secret-pw' };
    const reports = [
      await smtp!.run({ ...smtpJob, from: 'ok@x', auth } as never, signal),
      await smtp!.run({ ...smtpJob, from: 'no@x', auth } as never, signal),
      await ftp!.run({ ...ftpJob, direction: 'upload', data: Buffer.from('x') } as never, signal),
      await ftp!.run(ftpJob as never, signal),
    ];
    expect(JSON.stringify(reports)).not.toContain('secret-pw');
    expect(reports).toEqual([
      { ok: true, detail: '250 queued (logged in with ***)' },
      { ok: false, error: { code: 'E***', cause: 'C***', command: 'AUTH PLAIN ***', meaning: 'wire', message: 'auth *** refused' } },
      { ok: true, detail: 'stored as alice:***' },
      { ok: false, error: { code: 'E***', cause: 'O***', command: 'PASS ***', meaning: 'wire', message: '530 ***' } },
    ]);
  });

  it('reports a download by the digest of what transfer() resolved with, and none without it', async () => {
    const source = 'export function transfer(job) { return job.path === "/none" ? undefined : new Uint8Array([1, 2, 3]); }\n';
    const adapter = await loadOne('dl.mjs', await moduleDir('dl.mjs', source));
    const signal = new AbortController().signal;
    expect(await adapter.run(ftpJob as never, signal)).toEqual({
      ok: true,
      detail: 'transfer() resolved with 3 bytes',
      received: digestOf(Buffer.from([1, 2, 3])),
    });
    expect(await adapter.run({ ...ftpJob, path: '/none' } as never, signal)).toEqual({ ok: true, detail: 'transfer() resolved without the file' });
  });
});

describe('a module that never settles', () => {
  it('is hung at the runner deadline, and its signal tells it to stop', async () => {
    // Connected (a client that never connected is an error, not hung), then silent.
    const source = [
      'import net from "node:net";',
      'export function send(job, signal) {',
      '  const socket = net.connect(job.port, job.host).on("error", () => undefined);',
      '  signal.addEventListener("abort", () => { socket.destroy(); globalThis.wireprobeModuleAborted = job.from; });',
      '  return new Promise(() => undefined);',
      '}',
    ].join('\n');
    const adapter = await loadOne('forever.mjs', await moduleDir('forever.mjs', source));
    const scenario: SmtpScenario = {
      id: 'test/module/hang',
      suite: 'test/module',
      protocol: 'smtp',
      title: 'a module that never settles',
      expect: { client: 'fails', rule: 'RULE' },
      messageBytes: 1024,
      timeouts: { deadline: 300 },
    };
    const result = await runScenario({ scenario, client: adapter }, builtinTargets());
    expect(result).toMatchObject({ verdict: 'deviates', outcome: { kind: 'hung' } });
    expect((globalThis as { wireprobeModuleAborted?: string }).wireprobeModuleAborted).toMatch(/@/);
  });
});

describe('moduleError', () => {
  it.each([
    [
      'nodemailer socket error',
      Object.assign(new Error('x'), { code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'CONN' }),
      { code: 'ESOCKET', cause: 'ECONNRESET', command: 'CONN' },
    ],
    [
      'reply error',
      Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' }),
      { code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' },
    ],
    ['basic-ftp FTPError (numeric code)', Object.assign(new Error('x'), { code: 426 }), { responseCode: 426 }],
    ['wrapped cause', new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }), { cause: 'ECONNREFUSED' }],
    ['string errno', Object.assign(new Error('x'), { errno: 'ETIMEDOUT' }), { cause: 'ETIMEDOUT' }],
    ['no codes at all', new Error('x'), {}],
  ])('reads codes of a %s, never its text', (_name, thrown, codes) => {
    expect(moduleError(thrown, [])).toEqual({ ...codes, meaning: 'wire', message: 'x' });
  });

  it('leaves an error without codes to the wire: a failure reply the last word is a reply, else how the connection ended', () => {
    const error = moduleError(new Error('550 mailbox unavailable'), []);
    const seen = (wire: Wire | undefined) => classify({ report: { ok: false, error }, phase: 'rcpt', bytesSent: 0, wire, exitCodes: {} });
    expect(seen({ clientSaw: null, lastReply: 550 })).toMatchObject({ kind: 'reply', code: 550, phase: 'rcpt' });
    expect(seen({ clientSaw: 'fin', lastReply: 550 })).toMatchObject({ kind: 'reply', code: 550 });
    expect(seen({ clientSaw: 'rst', lastReply: 550 })).toMatchObject({ kind: 'reset' });
    expect(seen({ clientSaw: 'fin', lastReply: 250 })).toMatchObject({ kind: 'closed' });
    expect(seen({ clientSaw: null, lastReply: 250 })).toMatchObject({ kind: 'timeout' });
    expect(seen(undefined)).toMatchObject({ kind: 'refused', phase: 'connect' });
  });

  it('masks the credentials in the message it keeps', () => {
    expect(moduleError(new Error('login as alice:secret-pw failed'), ['secret-pw']).message).toBe('login as alice:*** failed');
  });

  it('masks the credentials in the codes and command it keeps', () => {
    const thrown = Object.assign(new Error('x'), { code: 'Esecret-pw', command: 'PASS secret-pw', errno: 'secret-pw' });
    expect(moduleError(thrown, ['secret-pw'])).toEqual({ code: 'E***', cause: '***', command: 'PASS ***', meaning: 'wire', message: 'x' });
  });

  it('describes a thrown value with no string form without throwing', () => {
    expect(moduleError(Object.create(null), [])).toEqual({ meaning: 'wire', message: 'threw a value that is not an Error' });
  });
});

describe('receivedOf', () => {
  it('takes content, or a size and SHA-256 as given (lowercased), and nothing else', () => {
    const digest = digestOf(Buffer.from('abc'));
    expect(receivedOf(Buffer.from('abc'))).toEqual(digest);
    expect(receivedOf({ bytes: 3, sha256: digest.sha256.toUpperCase() })).toEqual(digest);
    expect(receivedOf({ bytes: 3, sha256: 'not-hex' })).toBeUndefined();
    expect(receivedOf('abc')).toBeUndefined();
  });
});
