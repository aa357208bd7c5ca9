/**
 * A data connection refused at an address a dataport fault named is `refused` at the step that named
 * it (PASV), whatever the client sent between that reply and its connect: PHP's ftp extension sends
 * TYPE I there, Perl's Net::FTP its STOR. Before, the phase was the client's last step (`refused@type`),
 * where lftp, connecting at once, read `refused@pasv`.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import type { ClientReport, FtpClientAdapter, FtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import { parse227 } from '../../src/protocol/ftp-address.js';
import { SUITES } from '../../suites/index.js';

/** Reads the control connection's replies one final reply at a time (single-line replies, as the mock sends these). */
function replies(socket: net.Socket): () => Promise<string> {
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (/^\d{3}-/.test(line) || /^\s/.test(line)) continue;
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  return () => new Promise((resolve) => (lines.length ? resolve(lines.shift()!) : waiting.push(resolve)));
}

/**
 * A client as PHP's ftp_put is on the wire: PASV, then TYPE I, then the data connection; when that
 * fails, it closes the control connection and reports a failure that names no cause (exit 1).
 */
const typesFirst: FtpClientAdapter = {
  ...basicFtpClient,
  name: 'types-first',
  async run(job: FtpJob): Promise<ClientReport> {
    const socket = net.connect(job.port, job.host);
    const next = replies(socket);
    const ask = async (line: string): Promise<string> => {
      socket.write(`${line}\r\n`);
      return next();
    };
    try {
      await next();
      await ask(`USER ${job.user}`);
      await ask(`PASS ${job.password}`);
      const address = parse227(await ask('PASV'));
      await ask('TYPE I');
      const connected = await new Promise<boolean>((resolve) => {
        const data = net.connect(address?.port ?? 1, address?.host ?? '127.0.0.2');
        data.on('connect', () => resolve(true));
        data.on('error', () => resolve(false));
      });
      return connected ? { ok: true, detail: 'connected' } : { ok: false, error: { message: 'upload failed' } };
    } finally {
      socket.end();
    }
  },
};

describe('an FTP data connection refused at the address a fault named', () => {
  it('is refused at the PASV that named it, not at the TYPE I sent after it', async () => {
    const scenario = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'ftp/modes/wrong-data-address')!;
    const result = await runScenario({ scenario, client: typesFirst, mode: 'passive' }, builtinTargets());
    expect([result.outcome?.kind, result.outcome?.phase, result.verdict]).toEqual(['refused', 'pasv', 'deviates']);
    expect(result.transcript.join('\n')).toMatch(/C {2}PASV\n.*\n.*fault fired: dataport wrong-address[\s\S]*C {2}TYPE I/);
  });
});
