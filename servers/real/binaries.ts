/** Finding a server's binary, and short helper commands around it (openssl, getent, pure-pw...). */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { SERVERS_ROOT } from './types.js';

/**
 * The absolute path of `name`: first on PATH (plus /usr/sbin and /sbin, which a non-root PATH may
 * lack), then unpacked under `serversRoot` (`$ROOT/root/usr/sbin/NAME`, `.../usr/bin/NAME`). A name
 * containing a slash is taken as a path. Undefined when it is not there (or not executable).
 */
export async function findBinary(name: string, serversRoot = SERVERS_ROOT): Promise<string | undefined> {
  const executable = (path: string): Promise<boolean> =>
    access(path, fsConstants.X_OK).then(
      () => true,
      () => false,
    );
  if (name.includes('/')) return (await executable(name)) ? name : undefined;
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const unpacked = ['usr/sbin', 'usr/bin', 'sbin', 'bin'].map((dir) => join(serversRoot, 'root', dir));
  for (const dir of [...new Set([...onPath, '/usr/sbin', '/sbin']), ...unpacked]) {
    const path = join(dir, name);
    if (await executable(path)) return path;
  }
  return undefined;
}

/** Runs a short helper command (`openssl passwd`, `pure-pw mkdb`); resolves with its stdout, rejects with its stderr. */
export function runHelper(command: string, args: readonly string[], options: { readonly stdin?: string; readonly timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

/** A SHA-512 crypt(3) hash (`$6$...`) of `password` from `openssl passwd -6`; the password goes through stdin, never argv. */
export async function sha512Crypt(password: string): Promise<string> {
  const hash = (await runHelper('openssl', ['passwd', '-6', '-stdin'], { stdin: `${password}\n` })).trim();
  if (!hash.startsWith('$6$')) throw new Error('openssl passwd -6 gave no SHA-512 crypt hash');
  return hash;
}

/** A system account from the passwd database (NSS, via getent). */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Looks `name` up with `getent passwd`; undefined when there is no such account. */
export async function account(name: string): Promise<Account | undefined> {
  const line = await runHelper('getent', ['passwd', name]).catch(() => '');
  const fields = line.trim().split(':');
  if (fields.length < 7) return undefined;
  return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '' };
}
