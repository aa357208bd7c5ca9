/**
 * A user's server config is summed up once per server: a setting the launcher overrides in every
 * instance (its private folder, its port) is one line however many instances ran, and a scenario knob
 * that differs per scenario says so.
 */
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { formatOverride, serverConfigNotes } from '../../src/report/server-config.js';

/** A result run on `server` from `file` with these overrides; only the fields the notes read. */
function result(server: string, overridden: Array<{ key: string; user: string; ours: string }>): Result {
  return { server, serverConfig: { file: './vsftpd.conf', overridden } } as unknown as Result;
}

describe('serverConfigNotes', () => {
  it('says a per-instance folder once, a port that changes per run once, and lists a knob per scenario', () => {
    const runs = [1, 2, 3, 4].map((n) =>
      result('vsftpd:vsftpd.conf', [
        { key: 'secure_chroot_dir', user: '/var/run/vsftpd/empty', ours: `/tmp/wireprobe-vsftpd-abc${n}Ef/empty` },
        { key: 'listen_port', user: '21', ours: String(40_000 + n) },
        { key: 'max_clients', user: '50', ours: n < 3 ? '1' : '2' },
        { key: 'xferlog_file', user: '/var/log/vsftpd.log', ours: `/tmp/wireprobe-vsftpd-abc${n}Ef/xferlog` },
      ]),
    );
    const notes = serverConfigNotes([...runs, result('postfix:main.cf', [{ key: 'relayhost', user: '[up]:587', ours: '(removed: server default)' }])]);
    expect(notes.map((n) => [n.server, n.overridden.map(formatOverride)])).toEqual([
      [
        'vsftpd:vsftpd.conf',
        [
          'secure_chroot_dir: "/var/run/vsftpd/empty" -> "<private dir>/empty"',
          'listen_port: "21" -> (set per run)',
          'max_clients: "50" -> (per run: 1, 2)',
          'xferlog_file: "/var/log/vsftpd.log" -> "<private dir>/xferlog"',
        ],
      ],
      ['postfix:main.cf', ['relayhost: "[up]:587" -> (removed: server default)']],
    ]);
  });
});
