import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import { formatFault } from '../../src/faults/format.js';
import { writeTranscripts } from '../../src/report/transcripts.js';
import { inProcess } from '../helpers/in-process.js';
import { located } from '../helpers/located.js';

/** A deviating result for `id`; `over` replaces fields. */
function result(id: string, over: Partial<Result> = {}): Result {
  return located({
    id,
    suite: id.split('/').slice(0, 2).join('/'),
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock',
    title: id,
    fault: null,
    faultFired: false,
    outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0, detail: 'ESOCKET ECONNRESET' },
    sink: null,
    expected: 'fails',
    verdict: 'deviates',
    reason: 'the client reported success',
    durationMs: 12,
    transcript: ['0.000 S: 220 mock ESMTP', '0.004 C: EHLO [127.0.0.1]', '0.005 C: AUTH PLAIN ****'],
    ...over,
  });
}

describe('writeTranscripts', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-transcripts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each result to a nested path named after its id, with a header then the lines', async () => {
    const fault: Fault = { kind: 'reset', at: { after: 'RCPT' } };
    const results = [
      result('smtp/resets/reset-after-rcpt/nodemailer', { fault, faultFired: true }),
      result('smtp/baseline/clean/nodemailer', { outcome: null, verdict: 'error', reason: 'client crashed' }),
    ];
    const paths = await writeTranscripts(join(dir, 'transcripts'), results);
    expect(paths).toEqual([
      join(dir, 'transcripts', 'smtp', 'resets', 'reset-after-rcpt', 'nodemailer.txt'),
      join(dir, 'transcripts', 'smtp', 'baseline', 'clean', 'nodemailer.txt'),
    ]);

    const first = await readFile(paths[0]!, 'utf8');
    expect(first).toContain('id:       smtp/resets/reset-after-rcpt/nodemailer\n');
    expect(first).toContain('client:   nodemailer\n');
    expect(first).toContain('server:   mock\n');
    expect(first).toContain(`fault:    ${formatFault(fault)}\n`);
    expect(first).toContain('outcome:  reset@rcpt, 0 body bytes sent\n');
    expect(first).toContain('verdict:  deviates\n');
    expect(first).toContain('reason:   the client reported success\n');
    expect(first.endsWith('\n\n0.000 S: 220 mock ESMTP\n0.004 C: EHLO [127.0.0.1]\n0.005 C: AUTH PLAIN ****\n')).toBe(true);

    const second = await readFile(paths[1]!, 'utf8');
    expect(second).toContain('fault:    none\n');
    expect(second).toContain('outcome:  -\n');
    expect(second).toContain('verdict:  error\n');
  });

  it('marks a fault that never fired', async () => {
    const fault: Fault = { kind: 'close', at: { after: 'greeting' } };
    const [path] = await writeTranscripts(dir, [result('ftp/closes/c/curl', { fault, faultFired: false })]);
    expect(await readFile(path!, 'utf8')).toContain(`fault:    ${formatFault(fault)} (never fired)\n`);
  });

  it("escapes control characters in every line, as the console does: a peer's text cannot retitle or clear a terminal", async () => {
    const hostile = '550 \x1b]0;TITLE\x07\x1b[2J gone\r\nforged: line';
    const [path] = await writeTranscripts(dir, [
      result('smtp/x/y/nodemailer', {
        outcome: { kind: 'reply', code: 550, phase: 'rcpt', bytesSent: 0, detail: `Can't send mail - all recipients were rejected: ${hostile}` },
        reason: `the server said ${hostile}`,
        transcript: ['0.000 S: 220 mock ESMTP', `0.001 -- ${hostile}`],
      }),
    ]);
    const text = await readFile(path!, 'utf8');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const shown = '550 \\x1b]0;TITLE\\x07\\x1b[2J gone\\r\\nforged: line';
    expect(text).toContain(`detail:   Can't send mail - all recipients were rejected: ${shown}\n`);
    expect(text).toContain(`reason:   the server said ${shown}\n`);
    expect(text.endsWith(`\n\n0.000 S: 220 mock ESMTP\n0.001 -- ${shown}\n`)).toBe(true);
  });

  it("escapes a command client's stderr in its reason line, through a run", async () => {
    await writeFile(join(dir, 'fail.sh'), "#!/bin/sh\nprintf 'no \\033[31mluck\\033[0m \\033]0;TITLE\\007\\n' >&2\nexit 1\n", { mode: 0o755 });
    await writeFile(join(dir, 's.yaml'), 'name: t\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n');
    const client = 'cmd:fail=./fail.sh {from} {to} {message}';
    const { code, stderr } = await inProcess(['run', '--scenarios', 's.yaml', '--client', client, '--transcripts', 'out'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const text = await readFile(join(dir, 'out', 't', 'clean', 'fail.txt'), 'utf8');
    // It never connected: an error, its words in the reason.
    expect(text).toContain('outcome:  -\n');
    expect(text).toMatch(/\nreason: {3}fail never connected: .*; it reported a failure: exit 1: no \\x1b\[31mluck\\x1b\[0m \\x1b\]0;TITLE\\x07\n/);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });

  it('refuses an id that would leave the folder', async () => {
    await expect(writeTranscripts(dir, [result('smtp/../../etc/x')])).rejects.toThrow(/relative path/);
  });
});
