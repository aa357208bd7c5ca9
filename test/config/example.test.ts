/**
 * The example scenario file in examples/ runs through the command line with the in-process clients
 * against the mock servers, and each client gets the outcome the file pins for it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonResult } from '../../src/report/json.js';
import { inProcess } from './in-process.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('examples/my-mailer.yaml', () => {
  it('runs with the in-process clients and gives the pinned outcomes', async () => {
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
});
