/**
 * FTP scenarios with `tls` and the FTP mock's FTPS knobs (`server: { requireTlsReuse, protP, requireTls }`):
 * loaded into the Scenario, bad values refused in one line; the mock they start speaks FTPS and hands
 * its CA; a run goes through the proxy, which terminates FTPS (src/proxy/ftps.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { loadScenarioFile } from '../../src/config/scenarios.js';
import { runScenario } from '../../src/engine/run.js';
import type { FtpScenario } from '../../src/engine/types.js';
import { inProcess } from '../helpers/in-process.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-ftptls-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ftp = (...lines: string[]): string => ['protocol: ftp', 'scenarios:', '  - name: first', ...lines].join('\n');

describe('an FTP scenario file with tls', () => {
  it('carries tls and the FTPS knobs into the scenario', async () => {
    await writeFile(join(dir, 'ftps.yaml'), ftp('    tls: starttls-verify', '    server: { requireTlsReuse: true, protP: refuse, requireTls: true }'));
    const [scenario] = (await loadScenarioFile('ftps.yaml', dir)).scenarios as FtpScenario[];
    expect(scenario).toMatchObject({ tls: 'starttls-verify', server: { requireTlsReuse: true, protP: 'refuse', requireTls: true } });
  });

  it.each([
    ['tls.yaml', ftp('    tls: ftps'), /: scenarios\[0\]\.tls: .*"starttls"/],
    ['protp.yaml', ftp('    server: { protP: maybe }'), /: scenarios\[0\]\.server\.protP: .*"accept"/],
    ['reuse.yaml', ftp('    server: { requireTlsReuse: yes please }'), /: scenarios\[0\]\.server\.requireTlsReuse: .*boolean/],
  ])('%s: one line naming the bad value', async (name, text, message) => {
    await writeFile(join(dir, name), text);
    const { code, stdout, stderr } = await inProcess(['run', '--scenarios', name], dir);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

const scenario = (tls: FtpScenario['tls']): FtpScenario => ({
  id: 'x/ftps',
  suite: 'x',
  title: 'ftps',
  protocol: 'ftp',
  expect: { client: 'delivers', rule: 'the upload completes' },
  messageBytes: 1024,
  ftp: { direction: 'upload' },
  ...(tls ? { tls } : {}),
});

describe('an FTP scenario with tls in a run', () => {
  it('runs through the TLS-terminating proxy: the upload is delivered and verified', async () => {
    const result = await runScenario({ scenario: scenario('starttls-verify'), client: basicFtpClient, mode: 'passive' }, builtinTargets());
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'delivered' }, sink: { copies: 1, intact: true } });
  });

  it('starts the mock with FTPS (AUTH TLS answered 234) and hands its CA; a real server that cannot refuse PROT P is n/a', async () => {
    const targets = builtinTargets();
    const started = await targets.startFtp('mock-ftp', scenario('starttls'), {});
    if ('na' in started) throw new Error(started.na);
    try {
      expect(started.target.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const { connect } = await import('node:net');
      const socket = connect(started.target.port, started.target.host);
      let text = '';
      let asked = false;
      socket.on('data', (d) => {
        text += d.toString('latin1');
        if (/^220 /m.test(text) && !asked) asked = socket.write('AUTH TLS\r\n') || true;
      });
      await new Promise<void>((resolve) => socket.on('data', () => /^234 /m.test(text) && resolve()));
      socket.destroy();
    } finally {
      await started.target.close();
    }
    const refusing = { ...scenario('starttls'), server: { protP: 'refuse' as const } };
    expect(await targets.startFtp('vsftpd', refusing, {})).toEqual({ na: expect.stringMatching(/^vsftpd (cannot be told to refuse PROT P|not found)/) });
  });
});
