/**
 * Ctrl-C during `wireprobe probe ftp://...` while the probe's upload is under way: the probe must still
 * delete its file. The mock FTP server sits behind the fault proxy, whose throttle on data connections
 * keeps the upload going long enough; the signal is sent when the proxy relays the STOR.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle } from '../../servers/ftp.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');

describe('wireprobe probe, interrupted', () => {
  let server: FtpServerHandle | undefined;
  let proxy: ProxyHandle | undefined;
  afterEach(async () => {
    await proxy?.close();
    await server?.close();
  });

  it('deletes its file when SIGINT comes while the STOR is under way, prints one line, exits 130', async () => {
    server = await startFtpServer({ users: { alice: 'pr0be-pw' }, anonymous: 'off' });
    const lines: string[] = [];
    let stored: (name: string) => void = () => undefined;
    const stor = new Promise<string>((resolve) => (stored = resolve));
    proxy = await startProxy({
      upstream: { host: server.host, port: server.port },
      protocol: 'ftp',
      faults: [parseFault('throttle 20KiB/s channel data')],
      onLine: (line) => {
        lines.push(line);
        const m = / C {2}STOR (\S+)/.exec(line);
        if (m) stored(m[1]!);
      },
    });
    const child = spawn(process.execPath, [BIN, 'probe', `ftp://alice:pr0be-pw@127.0.0.1:${proxy.port}`], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const name = await Promise.race([stor, exited.then((code) => Promise.reject(new Error(`probe exited (${code}) before its STOR: ${stderr}`)))]);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toBe('wireprobe: interrupted (SIGINT): probe stopped; nothing left on the server\n');
    // The probe deleted the file (250: it was there, created at STOR), and it is gone.
    const dele = lines.findIndex((line) => line.includes(`C  DELE ${name}`));
    expect(dele, lines.join('\n')).toBeGreaterThan(-1);
    const session = /#\d+/.exec(lines[dele]!)![0];
    expect(lines.slice(dele + 1).find((line) => line.includes(`${session} S  `))).toMatch(/ S {2}250 /);
    expect(server.read(`/${name}`)).toBeUndefined();
  });
});
