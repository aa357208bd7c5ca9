import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { toJsonReport } from '../../src/report/json.js';
import { parseReport } from '../../src/report/merge-read.js';
import { located } from '../helpers/located.js';

const smtp: Result = located({
  id: 'smtp/resets/reset-after-rcpt/nodemailer',
  suite: 'smtp/resets',
  protocol: 'smtp',
  client: 'nodemailer',
  server: 'mock-smtp',
  title: 'reset after RCPT',
  fault: { kind: 'reset', at: { after: 'RCPT' } },
  faultFired: true,
  outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0, detail: 'ESOCKET ECONNRESET' },
  sink: { copies: 0, intact: true, verifiable: false },
  expected: 'fails',
  verdict: 'conformant',
  reason: 'the client reported a failure',
  durationMs: 42,
  transcript: ['0.000 #1 S  220 ready', '0.010 #1 C  EHLO x'],
});

const ftp: Result = located({
  id: 'ftp/resets/reset-mid-stor/curl/active@vsftpd',
  suite: 'ftp/resets',
  protocol: 'ftp',
  client: 'curl',
  mode: 'active',
  server: 'vsftpd',
  serverConfig: { file: './vsftpd.conf', overridden: [{ key: 'listen_port', user: '21', ours: '2121' }] },
  title: 'reset mid STOR',
  fault: null,
  faultFired: false,
  outcome: { kind: 'reply', phase: 'stor', code: 426, bytesSent: 10 },
  sink: { copies: 1, intact: false, sha256: { sent: 'a', held: 'b' } },
  ftp: { control: 'fin', sessions: 1, transfers: 1, data: { connections: 1, bytes: 10, clientSaw: 'rst' } },
  expected: 'fails',
  verdict: 'deviates',
  reason: 'reported success',
  durationMs: 7,
  transcript: [],
});

/** A report written and parsed back, as a file would be. */
const roundTrip = (value: unknown) => parseReport('r.json', JSON.parse(JSON.stringify(value)));

describe('parseReport', () => {
  it('gives back the very results a blob was written from, rows and columns included', () => {
    const read = roundTrip(toJsonReport([smtp, ftp], '1.2.3', undefined, { blob: true }));
    expect(read).toMatchObject({ file: 'r.json', version: '1.2.3', blob: true });
    expect(typeof read === 'string' ? read : read.results).toEqual([smtp, ftp]);
  });

  it('reads a JSON report as a non-blob whose titles are the scenario ids and transcripts empty', () => {
    const read = roundTrip(toJsonReport([smtp], '1.2.3'));
    if (typeof read === 'string') throw new Error(read);
    expect(read.blob).toBe(false);
    expect(read.results[0]).toEqual({ ...smtp, title: 'smtp/resets/reset-after-rcpt', transcript: [] });
  });

  it('reads the shard, the provenance, the order and an interruption', () => {
    const provenance = { wireprobe: '1.2.3', node: 'v20', openssl: '3', os: 'Linux', clients: {}, servers: {} };
    const order = { scenarios: ['a'], servers: ['mock-smtp'], clients: ['nodemailer'] };
    const report = toJsonReport(
      [smtp],
      '1.2.3',
      { reason: 'interrupted by SIGINT', total: 4 },
      { shard: { index: 2, count: 3, cells: 9 }, provenance, blob: true, order },
    );
    expect(roundTrip(report)).toMatchObject({ shard: { index: 2, count: 3, cells: 9 }, provenance, order, incomplete: 'interrupted by SIGINT' });
  });

  it.each([
    [null, 'no "tool": "wireprobe"'],
    [{ tool: 'other' }, 'no "tool": "wireprobe"'],
    [{ tool: 'wireprobe' }, 'no version'],
    [{ tool: 'wireprobe', version: '1' }, 'no results'],
    [{ tool: 'wireprobe', version: '1', results: [{ id: 'x' }] }, 'result 1 lacks an id, client, server, protocol or verdict'],
    [{ tool: 'wireprobe', version: '1', results: [], shard: { index: 3, count: 2, cells: 4 } }, 'its "shard" is not {index, count, cells}'],
    [{ tool: 'wireprobe', version: '1', results: [], shard: { index: 0, count: 2, cells: 4 } }, 'its "shard" is not {index, count, cells}'],
  ])('refuses %j in one line naming the file', (value, why) => {
    const read = parseReport('bad.json', value);
    expect(read).toBeTypeOf('string');
    expect(read).toContain(`"bad.json" is not a wireprobe JSON report: ${why}`);
  });
});
