/**
 * A private Postfix instance's queue and data directories, as `post-install create-missing` makes them
 * (/etc/postfix/postfix-files), plus `quick-start`, which makes `start-fg` skip `postfix check`
 * (post-install, postsuper and find over a fresh spool: 1-3 s of forks on a busy machine, against
 * ~0.1 s for the master alone). Shared by the Postfix launcher (servers/real/postfix.ts) and the
 * postfix-relay client (src/clients/postfix-relay-config.ts), which may not import servers/.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A uid (`passwd`) or gid (`group`) by name, or undefined when there is none (Postfix not installed right). */
export async function systemId(database: 'passwd' | 'group', name: string): Promise<number | undefined> {
  const out = await promisify(execFile)('getent', [database, name]).then(
    (r) => r.stdout,
    () => '',
  );
  const fields = out.trim().split(':');
  return fields.length < 3 ? undefined : Number(fields[2]);
}

/** Makes `dir`/spool (every queue, owners and modes as Postfix wants them) and `dir`/data; rejects without Postfix's users. */
export async function makePostfixQueue(dir: string): Promise<void> {
  const postfix = await systemId('passwd', 'postfix');
  const postdrop = await systemId('group', 'postdrop');
  if (postfix === undefined || postdrop === undefined)
    throw new Error('no postfix user or postdrop group (run scripts/install/mta.sh, or apt-get install postfix)');
  const spool = join(dir, 'spool');
  const queues = ['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace'];
  const layout: ReadonlyArray<readonly [string, number, number, number]> = [
    ['', 0, 0, 0o755],
    ...queues.map((name) => [name, postfix, 0, 0o700] as const),
    ['maildrop', postfix, postdrop, 0o730],
    ['public', postfix, postdrop, 0o710],
    ['pid', 0, 0, 0o755],
  ];
  for (const [name, uid, gid, mode] of layout) {
    const path = join(spool, name);
    await mkdir(path);
    await chown(path, uid, gid);
    await chmod(path, mode); // mkdir's mode goes through the umask
  }
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  await chown(join(dir, 'data'), postfix, 0);
  await writeFile(join(spool, 'quick-start'), '');
}
