/**
 * `ftp.mlsd`: skipped where FEAT lists no MLST (the mock: ftp-srv has neither MLST nor MLSD), passed by
 * proftpd (a file in its storage, so MLST names a file), failed by scripted servers whose listings
 * do not parse or whose MLSD is refused while FEAT lists MLST.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proftpdLauncher } from '../../servers/real/proftpd.js';
import { ftpMlsdChecks, parseEntry } from '../../src/probe/ftp-mlsd.js';
import { byId, LIMITS, probe, withTarget } from '../helpers/ftp-probe.js';
import { startScriptedFtp, type Scripted } from './scripted-ftp.js';

const FEAT = ['EPSV', 'MLST type*;size*;modify*;', 'MLSD'];

async function withScripted(script: Readonly<Record<string, Scripted>>, body: (f: ReturnType<typeof byId>) => void): Promise<void> {
  const server = await startScriptedFtp(FEAT, script);
  try {
    const findings = await probe({ protocol: 'ftp', host: server.host, port: server.port, user: 'u', password: 'p' }, [ftpMlsdChecks]);
    body(byId(findings, 'ftp.mlsd'));
  } finally {
    await server.close();
  }
}

describe('FTP probe: MLSD and MLST', () => {
  it('parses entries: facts, then one space, then the name (which may hold spaces)', () => {
    const ok = parseEntry('Type=file;Size=5;modify=20261204120000.5; a b.txt');
    expect(ok.ok && [...ok.entry.facts]).toEqual([
      ['type', 'file'],
      ['size', '5'],
      ['modify', '20261204120000.5'],
    ]);
    expect(ok.ok && ok.entry.name).toBe('a b.txt');
    expect(parseEntry(' bare-name')).toMatchObject({ ok: true });
    expect(parseEntry('type=file;size=5;noname')).toMatchObject({ ok: false });
    expect(parseEntry('type=file size=5; x')).toMatchObject({ ok: false });
    expect(parseEntry('type=file;size=5k; x')).toMatchObject({ ok: false, why: expect.stringMatching(/size=5k is not a valid size/) });
    expect(parseEntry('modify=2026-12-04; x')).toMatchObject({ ok: false });
  });

  it('is skipped with the reason on the mock, whose FEAT lists no MLST', async () => {
    await withTarget({}, [], async ({ target }) => {
      const f = byId(await probe(target, [ftpMlsdChecks]), 'ftp.mlsd');
      expect(f.status).toBe('skip');
      expect(f.advice).toMatch(/^Not run: FEAT does not list MLST/);
      expect(f.sent).toContain('FEAT');
    });
  });

  it('passes on proftpd: MLSD over a data connection, MLST of the file it listed', { timeout: 60_000 }, async () => {
    const server = await proftpdLauncher.start({});
    try {
      await writeFile(join(server.storage, 'listed.txt'), 'hello');
      await chmod(join(server.storage, 'listed.txt'), 0o644);
      const { user, password } = server.login!;
      const findings = await probe({ protocol: 'ftp', host: server.host, port: server.port, user, password }, [ftpMlsdChecks], LIMITS);
      const f = byId(findings, 'ftp.mlsd');
      expect(f.status, f.advice).toBe('pass');
      expect(f.value).toBe(3); // the file, the directory itself (cdir) and its parent (pdir)
      expect(f.sent).toContain('MLSD');
      expect(f.sent).toContain('MLST listed.txt');
      // proftpd names the file by its full path in MLST's entry (RFC 3659 §7 allows either).
      const entry = f.received.find((l) => /^ \S*; \/?listed\.txt$/.test(l));
      expect(entry, JSON.stringify(f.received)).toMatch(/type=file;/);
      expect(entry).toMatch(/size=5;/);
    } finally {
      await server.close();
    }
  });

  it('fails when an MLSD entry does not parse (a size that is not a number)', async () => {
    const listing = 'type=cdir;modify=20261204120000; .\r\ntype=file;size=12kB;modify=20261204120000; a.txt\r\n';
    await withScripted({ MLSD: { reply: ['150 here', '226 done'], data: listing } }, (f) => {
      expect(f).toMatchObject({ status: 'fail', value: 2 });
      expect(f.advice).toMatch(/an entry does not parse: .*size=12kB is not a valid size/);
    });
  });

  it('fails when FEAT lists MLST but MLSD is not implemented', async () => {
    await withScripted({}, (f) => {
      expect(f.status).toBe('fail');
      expect(f.advice).toMatch(/^FEAT lists MLST, but MLSD got 502 not here instead of 150/);
    });
  });

  it('fails when MLST puts its entry on a numbered line, not after one space', async () => {
    const listing = 'type=file;size=1;modify=20261204120000; a.txt\r\n';
    await withScripted(
      { MLSD: { reply: ['150 here', '226 done'], data: listing }, 'MLST a.txt': { reply: ['250-Listing a.txt', '250-type=file;size=1; a.txt', '250 End'] } },
      (f) => {
        expect(f).toMatchObject({ status: 'fail', value: 1 });
        expect(f.advice).toMatch(/^MLST a\.txt got 250, but not one entry line starting with a space/);
      },
    );
  });

  it('passes a well-formed scripted listing and MLST', async () => {
    const listing = 'type=cdir;modify=20261204120000; .\r\ntype=file;size=1;modify=20261204120000; a.txt\r\n';
    await withScripted(
      { MLSD: { reply: ['150 here', '226 done'], data: listing }, 'MLST a.txt': { reply: ['250-Listing a.txt', ' type=file;size=1; a.txt', '250 End'] } },
      (f) => expect(f).toMatchObject({ status: 'pass', value: 2 }),
    );
  });
});
