/**
 * Scenario files through the command line (the one in examples/ among them) with the in-process clients
 * against the mock servers, and each client gets the outcome the file pins for it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonResult } from '../../src/report/json.js';
import { inProcess } from '../helpers/in-process.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('a scenario file run through the command line', () => {
  it('examples/my-mailer.yaml runs with the in-process clients and gives the pinned outcomes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-scenfile-'));
    try {
      const json = join(dir, 'out.json');
      const { code, stdout, stderr } = await inProcess(['run', '--scenarios', 'examples/my-mailer.yaml', '--json', json, '--fail-on-deviation'], ROOT);
      const results = (JSON.parse(await readFile(json, 'utf8')) as { results: JsonResult[] }).results;
      const nodemailer = Object.fromEntries(
        results.filter((r) => r.client === 'nodemailer').map((r) => [r.id.replace(/\/nodemailer$/, ''), [r.verdict, r.reason]]),
      );
      expect(nodemailer).toEqual({
        'my/mailer/clean-send': ['conformant', 'got the pinned outcome delivered (delivered)'],
        'my/mailer/reset-mid-body': ['conformant', 'got the pinned outcome reset@body (reset@body)'],
        'my/mailer/too-big': ['conformant', 'got the pinned outcome reply 552@body (reply 552@body)'],
        'my/mailer/lost-250': ['conformant', expect.stringMatching(/^reported the failure/)],
      });
      expect(results.every((r) => r.suite === 'my/mailer')).toBe(true);
      expect(results.find((r) => r.id === 'my/mailer/too-big/nodemailer')?.expected).toBe('pinned reply 552@body');
      expect(stdout).toContain('my/mailer/too-big');
      expect([code, stderr]).toEqual([0, '']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pins an FTP client per mode, and a wrong pin deviates naming both outcomes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-scenfile-'));
    try {
      const file = [
        'name: uploads',
        'protocol: ftp',
        'scenarios:',
        '  - { name: cut, fault: reset after STOR +64KiB channel data, size: 1MiB, ftp: { modes: [passive] }, outcomes: { basic-ftp/passive: reset@transfer } }',
        '  - { name: clean, size: 8KiB, ftp: { modes: [passive] }, outcomes: { basic-ftp: closed } }',
      ].join('\n');
      await writeFile(join(dir, 'uploads.yaml'), file);
      const { code, stderr } = await inProcess(['run', '--scenarios', 'uploads.yaml', '--json', 'out.json', '--fail-on-deviation'], dir);
      const results = (JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as { results: JsonResult[] }).results;
      expect(results.map((r) => [r.id, r.verdict, r.reason])).toEqual([
        ['uploads/cut/basic-ftp/passive', 'conformant', 'got the pinned outcome reset@transfer (reset@transfer)'],
        ['uploads/clean/basic-ftp/passive', 'deviates', 'pinned closed, got delivered'],
      ]);
      expect([code, stderr]).toEqual([1, '']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
