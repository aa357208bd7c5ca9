/**
 * wireprobe as a user gets it: `npm pack` here, the tarball installed into a new project with
 * `npm install --offline`, `tsc` there against the shipped .d.ts, a vitest file there using
 * `wireprobe/vitest`, and the installed bin.
 *
 *   npm pack ──► wireprobe-X.tgz ──► tmp/project: npm install --offline ──► tsc --noEmit
 *                                                                      ──► vitest run mail.test.ts
 *                                                                      ──► wireprobe --version
 *
 * Offline: `npm ci` fills npm's cache with the tarballs its lockfile names, but not with the registry's
 * package documents that `npm install` needs to choose a version for a range, so an install without a
 * lockfile fails with ENOTCACHED. The project gets a lockfile holding this repository's resolutions
 * (package-lock.json, root entry replaced), as a project pinned to the same versions has: npm then
 * reads only cached tarballs, and drops the entries nothing in the project requires.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** Runs `command` in `cwd`; on failure the error carries its whole output. */
async function sh(cwd: string, command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 * 2 ** 20, env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`);
  }
}

interface Lock {
  readonly packages: Record<string, { readonly version?: string }>;
}

/** The user's code type-checked against the shipped declarations: every export used once. */
const USER_TS = `import { fault, startFtp, startProxy, startSmtp, type FtpMock, type ReceivedMessage, type SmtpMock } from 'wireprobe';
import { useFtp, useSmtp } from 'wireprobe/vitest';

export async function everything(): Promise<void> {
  const mail: SmtpMock = await startSmtp({ faults: ['reset after DATA +64KiB'], sizeLimit: '10MiB', auth: { users: { u: 'p' } } });
  mail.plan(['reply 451 before RCPT', 'pass'], { match: { rcpt: /@t42\\./ } });
  mail.arm(fault('close on connect'), { connection: 3 });
  const message: ReceivedMessage = await mail.waitForMessage({ timeout: 1000 });
  const raw: Buffer = await message.raw();
  const ended: 'rst' | 'fin' | undefined = mail.sessions[0]?.ended?.how;
  const files: FtpMock = await startFtp({ files: { '/a.txt': 'a' }, active: 'off' });
  const proxy = await startProxy({ target: { host: '127.0.0.1', port: 25 }, protocol: 'smtp' });
  console.log(raw.length, ended, files.uploads.length, proxy.url);
  await Promise.all([mail.close(), files.close(), proxy.close()]);
}

export const perTest: [SmtpMock, FtpMock] = [useSmtp({ tls: 'off' }), useFtp({ anonymous: 'write' })];
`;

/** A retry loop tested with a plan, through the fixture and the matchers. */
const MAIL_TEST_TS = `import nodemailer from 'nodemailer';
import { expect, it } from 'vitest';
import { useSmtp } from 'wireprobe/vitest';

const mail = useSmtp();

/** The app under test: sends, and sends again after a temporary (4xx) refusal, at most 3 times. */
async function sendWithRetry(port: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ from: 'app@example.test', to: 'user@t42.example', subject: 'hi', text: 'hello' });
      return attempt;
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode ?? 0;
      if (attempt === 3 || code < 400 || code >= 500) throw error;
    } finally {
      transport.close();
    }
  }
}

it('delivers exactly once when the first attempt gets 451', async () => {
  mail.plan(['reply 451 before RCPT then continue', 'pass']);
  expect(await sendWithRetry(mail.port)).toBe(2);
  expect(mail).toHaveReceived(1, { rcpt: /@t42\\./ });
  expect(mail).toHaveFired('reply 451 before RCPT then continue');
  // @ts-expect-error the matcher's count is a number: its types reach the user's Assertion
  expect(() => expect(mail).toHaveReceived('one')).toThrow();
});

it('starts a new server for each test', () => {
  expect(mail).toHaveReceived(0);
  expect(mail.sessions).toHaveLength(0);
});
`;

it('installs from a packed tarball offline, type-checks against its declarations and runs a vitest file with wireprobe/vitest', {
  timeout: 600_000,
}, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'wireprobe-pack-'));
  try {
    await sh(REPO, 'npm', ['pack', '--pack-destination', tmp, '--silent']);
    const tarball = (await readdir(tmp)).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const project = join(tmp, 'project');
    await mkdir(project);
    const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as Lock;
    const pinned = (name: string): string => lock.packages[`node_modules/${name}`]!.version!;
    const devDependencies = Object.fromEntries(['vitest', 'typescript', '@types/node', 'nodemailer', '@types/nodemailer'].map((name) => [name, pinned(name)]));
    const root = { name: 'user-project', private: true, type: 'module', devDependencies };
    await writeFile(join(project, 'package.json'), JSON.stringify(root, null, 2));
    await writeFile(join(project, 'package-lock.json'), JSON.stringify({ ...lock, name: root.name, packages: { ...lock.packages, '': root } }, null, 2));
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }, null, 2));
    await writeFile(join(project, 'user.ts'), USER_TS);
    await writeFile(join(project, 'mail.test.ts'), MAIL_TEST_TS);

    await sh(project, 'npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, tarball!)]);
    // No skipLibCheck: the shipped .d.ts are checked whole, with only the user's dependencies present.
    await sh(project, process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project]);
    const tested = await sh(project, process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json']);
    const report = JSON.parse(tested) as { numPassedTests: number; numFailedTests: number };
    expect(report).toMatchObject({ numPassedTests: 2, numFailedTests: 0 });
    // The installed bin: dist/ only, no sources, no TypeScript compiler.
    const version = await sh(project, join(project, 'node_modules', '.bin', 'wireprobe'), ['--version']);
    expect(version.trim()).toBe(JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
