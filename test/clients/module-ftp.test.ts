/**
 * An FTP module client on basic-ftp (test/fixtures/clients/basic-ftp-client.mjs: a download resolves
 * with the file's content, errors rethrown untouched) against the mock FTP server through the proxy:
 * uploads and downloads checked byte for byte (the server's file, the content the module returned),
 * clean and cut, each judged like the built-in basic-ftp adapter.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { loadModuleClient } from '../../src/clients/module.js';
import type { FtpClientAdapter } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { Scenario } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';
import { inProcess } from '../helpers/in-process.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/clients');

function scenario(id: string): Scenario {
  const found = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}

async function moduleBasicFtp(): Promise<FtpClientAdapter> {
  const [adapter] = await loadModuleClient('basic-ftp-client.mjs', FIXTURES);
  if (adapter?.protocol !== 'ftp') throw new Error('the fixture has no transfer()');
  return adapter;
}

describe('an FTP module client wrapping basic-ftp', () => {
  it('uploads and downloads intact when nothing is wrong, and reports the cut ones failed, as the built-in basic-ftp does', async () => {
    const ids = ['ftp/modes/baseline-upload', 'ftp/modes/baseline-download', 'ftp/resets/reset-data-mid-stor', 'ftp/resets/close-data-mid-retr'];
    const module = await moduleBasicFtp();
    const results = await runScenarios(ids.map(scenario), [basicFtpClient, module], { targets: builtinTargets(), concurrency: 2 });
    // Each client runs in its own modes only: the rest are n/a, passive is what both have.
    const cells = (client: string) =>
      results
        .filter((r) => r.client === client && r.mode === 'passive')
        .map((r) => [r.scenarioId, r.mode, r.outcome?.kind, r.outcome?.phase, r.outcome?.code, r.verdict, r.sink]);
    expect(cells('basic-ftp-module')).toEqual(cells('basic-ftp'));
    expect(cells('basic-ftp-module')).toEqual([
      ['ftp/modes/baseline-upload', 'passive', 'delivered', expect.any(String), undefined, 'conformant', { copies: 1, intact: true }],
      ['ftp/modes/baseline-download', 'passive', 'delivered', expect.any(String), undefined, 'conformant', { copies: 1, intact: true }],
      ['ftp/resets/reset-data-mid-stor', 'passive', 'reset', 'transfer', undefined, 'conformant', { copies: 0, intact: true }],
      ['ftp/resets/close-data-mid-retr', 'passive', 'reply', 'retr', 426, 'conformant', { copies: 0, intact: true }],
    ]);
  }, 120_000);

  it('deviates when a download it reports complete is not the file served, by the digest it resolved with', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-module-'));
    try {
      // It reads the greeting first: a client that never connected is an error, not a verdict on a transfer.
      const liar = [
        "import net from 'node:net';",
        "import { once } from 'node:events';",
        "export const name = 'liar';",
        'export async function transfer(job) {',
        '  const socket = net.connect(job.port, job.host);',
        "  await once(socket, 'data');",
        '  socket.destroy();',
        `  return { bytes: 3, sha256: '${'0'.repeat(64)}' };`,
        '}',
      ].join('\n');
      await writeFile(join(dir, 'liar.mjs'), liar);
      const [adapter] = await loadModuleClient('liar.mjs', dir);
      const [result] = await runScenarios([scenario('ftp/modes/baseline-download')], [adapter!], { targets: builtinTargets() });
      expect(result).toMatchObject({ mode: 'passive', verdict: 'deviates', outcome: { kind: 'delivered' }, sink: { copies: 0, intact: false } });
      expect(result!.reason).toContain(`3 bytes with SHA-256 ${'0'.repeat(64)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the password out of the JSON, HTML and transcripts, whatever text of the module carries it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-module-'));
    try {
      // Uploads connect, then resolve with a detail naming the password; downloads throw it in every
      // field without connecting: an error whose reason quotes them.
      const leaky = [
        "import net from 'node:net';",
        "import { once } from 'node:events';",
        "export const name = 'leaky';",
        'export async function transfer(job) {',
        '  const pw = job.password;',
        "  if (job.direction === 'upload') {",
        '    const socket = net.connect(job.port, job.host);',
        "    await once(socket, 'data');",
        '    socket.destroy();',
        "    return 'stored, logged in with ' + pw;",
        '  }',
        "  throw Object.assign(new Error('login with ' + pw + ' failed'), { code: 'E' + pw, command: 'PASS ' + pw, cause: { code: 'C' + pw } });",
        '}',
      ].join('\n');
      await writeFile(join(dir, 'leaky.mjs'), leaky);
      const reports = ['--json', 'out.json', '--html', 'out.html', '--transcripts', 'transcripts'];
      const scenarios = ['ftp/modes/baseline-upload', 'ftp/modes/baseline-download'];
      const run = await inProcess(['run', '--suite', 'ftp/modes', '--client', './leaky.mjs', ...reports], dir);
      expect(run.stderr).toBe('');
      const json = await readFile(join(dir, 'out.json'), 'utf8');
      const parsed = JSON.parse(json) as { results: { id: string; outcome: { detail?: string } | null; reason: string }[] };
      const said = (r: { outcome: { detail?: string } | null; reason: string }) => r.outcome?.detail ?? r.reason.replace(/^.*; it reported a failure: /, '');
      const details = Object.fromEntries(
        parsed.results.filter((r) => scenarios.some((id) => r.id.startsWith(id)) && r.id.endsWith('/passive')).map((r) => [r.id, said(r)]),
      );
      expect(details).toEqual({
        'ftp/modes/baseline-upload/leaky/passive': 'stored, logged in with ***',
        'ftp/modes/baseline-download/leaky/passive': 'E*** C*** PASS ***: login with *** failed',
      });
      const transcripts = (await readdir(join(dir, 'transcripts'), { recursive: true })).filter((f) => f.endsWith('.txt'));
      expect(transcripts.length).toBeGreaterThan(0);
      const texts = [
        json,
        await readFile(join(dir, 'out.html'), 'utf8'),
        run.stdout,
        ...(await Promise.all(transcripts.map((f) => readFile(join(dir, 'transcripts', f), 'utf8')))),
      ];
      for (const text of texts) expect(text).not.toContain('wireprobe-secret');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
