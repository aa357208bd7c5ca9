/**
 * Scenario files: the same suite written in YAML, JSON and TypeScript loads to the same scenarios; a
 * bad file is one line naming the file, the path inside it and the problem (exit 2, no stack).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/config/scenarios.js';
import { inProcess } from '../helpers/in-process.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');

describe('a scenario file', () => {
  it('loads to the same suite from YAML, JSON and TypeScript', async () => {
    const [yaml, json, ts] = await Promise.all(['same.yaml', 'same.json', 'same.ts'].map((f) => loadScenarioFile(f, FIXTURES)));
    expect(json).toEqual(yaml);
    expect(ts).toEqual(yaml);
    expect(yaml!.scenarios[0]).toEqual({
      id: 'same/suite/cut-upload',
      suite: 'same/suite',
      protocol: 'ftp',
      title: 'RST on the data connection mid-upload',
      fault: { kind: 'reset', at: { after: 'STOR', bytes: 65536 }, channel: 'data' },
      expect: { client: 'fails', rule: expect.stringMatching(/^RFC 959/) },
      messageBytes: 1024 * 1024,
      timeouts: { socket: 2000, deadline: 8000 },
      server: { maxSessions: 4, idleTimeoutMs: 30_000, active: 'on' },
      ftp: { direction: 'upload', modes: ['passive'] },
      pinned: { 'basic-ftp': { kind: 'reset', phase: 'transfer' }, 'curl/active': { kind: 'closed' } },
    });
    expect(yaml!.scenarios[1]).toMatchObject({ id: 'same/suite/baseline', title: 'baseline', expect: { client: 'delivers', rule: 'the file arrives' } });
  });

  it('takes its suite name from the file name when it gives none', async () => {
    const suite = await loadScenarioFile('../../../examples/my-mailer.yaml', FIXTURES);
    expect(suite.name).toBe('my/mailer');
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-scenfile-'));
    try {
      await writeFile(join(dir, 'checkout-mails.yml'), 'protocol: smtp\nscenarios:\n  - name: a\n');
      expect((await loadScenarioFile('checkout-mails.yml', dir)).scenarios.map((s) => s.id)).toEqual(['checkout-mails/a']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a bad scenario file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-scenfile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const smtp = (...lines: string[]): string => ['protocol: smtp', 'scenarios:', '  - name: first', ...lines].join('\n');
  it.each([
    ['syntax.yaml', smtp('    fault: [reset', ''), /^wireprobe: bad scenario file "syntax\.yaml" \(line \d\): not valid YAML: /],
    ['syntax.json', '{\n  "protocol": "smtp",\n  "scenarios": [}\n', /^wireprobe: bad scenario file "syntax\.json" \(line 3\): not valid JSON: /],
    [
      'key.yaml',
      smtp('    tmeouts: { socket: 2s }'),
      /^wireprobe: bad scenario file "key\.yaml" \(line 4\): scenarios\[0\]: unknown key "tmeouts" \(allowed: name, /,
    ],
    ['top.yaml', `${smtp()}\nsuite: x`, /^wireprobe: bad scenario file "top\.yaml" \(line 4\): \(top\): unknown key "suite"/],
    [
      'fault.yaml',
      smtp('  - name: second', '    fault: reset aftr DATA'),
      /^wireprobe: bad scenario file "fault\.yaml" \(line 5\): scenarios\[1\]\.fault: bad fault "reset aftr DATA": .* at "aftr"/,
    ],
    ['obj.yaml', smtp('    fault: { kind: reset, at: { after: DATA }, towards: client }'), /: scenarios\[0\]\.fault: towards is not part of a reset fault/],
    ['at.yaml', smtp('    fault: { kind: reset, at: { afer: DATA } }'), /: scenarios\[0\]\.fault: bad fault "reset after undefined"/],
    ['data.yaml', smtp('    fault: reset after STOR +1KiB channel data'), /: scenarios\[0\]\.fault: channel data is FTP only/],
    ['stor.yaml', smtp('    fault: reset after STOR'), /: scenarios\[0\]\.fault: STOR is FTP only and can never fire in an SMTP scenario\n$/],
    [
      'rcpt.yaml',
      ['protocol: ftp', 'scenarios:', '  - name: first', '    fault: reset after DATA +64KiB'].join('\n'),
      /: scenarios\[0\]\.fault: DATA is SMTP only and can never fire in an FTP scenario\n$/,
    ],
    ['dot.yaml', ['protocol: ftp', 'scenarios:', '  - name: first', '    fault: reply 451 before dot'].join('\n'), /: scenarios\[0\]\.fault: dot is SMTP only/],
    ['size.yaml', smtp('    size: 1 MB'), /^wireprobe: bad scenario file "size\.yaml" \(line 4\): scenarios\[0\]\.size: bad size "1 MB": expected/],
    ['neg.yaml', smtp('    size: -5'), /: scenarios\[0\]\.size: expected a size .* from 1 to/],
    ['time.yaml', smtp('    timeouts: { socket: soon }'), /: scenarios\[0\]\.timeouts\.socket: bad duration "soon"/],
    [
      'dup.yaml',
      smtp('  - name: second', '  - name: first'),
      /^wireprobe: bad scenario file "dup\.yaml" \(line 5\): scenarios\[2\]\.name: "first" is used twice \(also scenarios\[0\]\)/,
    ],
    ['pin.yaml', smtp('    outcomes: { nodemailer: rest@body }'), /: scenarios\[0\]\.outcomes\.nodemailer: unknown outcome kind "rest"/],
    ['phase.yaml', smtp('    outcomes: { nodemailer: reset@rpct }'), /: scenarios\[0\]\.outcomes\.nodemailer: unknown SMTP phase "rpct"/],
    ['code.yaml', smtp('    outcomes: { nodemailer: { kind: closed, code: 421 } }'), /: scenarios\[0\]\.outcomes\.nodemailer: only a reply has a code/],
    [
      'client.yaml',
      smtp('    outcomes: { nodemailr: reset@body }'),
      /^wireprobe: scenario "client\/first" pins an outcome for "nodemailr", which is not a client here \(known: nodemailer, /,
    ],
    ['expect.yaml', smtp('    expect: fail'), /: scenarios\[0\]\.expect: expected fails, delivers, accounts/],
    ['ftp-key.yaml', smtp('    ftp: { direction: upload }'), /: scenarios\[0\]: unknown key "ftp"/],
    ['proto.yaml', 'protocol: pop3\nscenarios: []\n', /: protocol: expected an object with protocol "smtp" or "ftp"/],
    ['empty.yaml', '', /^wireprobe: bad scenario file "empty\.yaml": \(top\): expected an object/],
    ['broken.ts', 'export default {', /^wireprobe: bad scenario file "broken\.ts": cannot load it: /],
    ['nodefault.ts', 'export const x = 1;\n', /: expected a default export/],
    ['scenarios.txt', 'x', /^wireprobe: bad scenario file "scenarios\.txt": expected a file ending in \.json, \.yaml/],
  ])('%s: one line naming the file, the path inside it and the problem', async (name, text, message) => {
    await writeFile(join(dir, name), text);
    const { code, stdout, stderr } = await inProcess(['run', '--scenarios', name], dir);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names a file that is not there', async () => {
    for (const name of ['missing.yaml', 'missing.ts']) {
      const { code, stderr } = await inProcess(['run', '--scenarios', name], dir);
      expect([code, stderr]).toEqual([2, `wireprobe: bad scenario file "${name}": cannot read it (ENOENT)\n`]);
    }
  });

  it('refuses two files with one suite name, and a built-in suite name', async () => {
    await writeFile(join(dir, 'a.yaml'), 'name: mine\nprotocol: smtp\nscenarios: [{ name: x }]\n');
    await writeFile(join(dir, 'b.yaml'), 'name: mine\nprotocol: smtp\nscenarios: [{ name: y }]\n');
    await writeFile(join(dir, 'c.yaml'), 'name: smtp/resets\nprotocol: smtp\nscenarios: [{ name: y }]\n');
    expect((await inProcess(['run', '--scenarios', 'a.yaml', '--scenarios', 'b.yaml'], dir)).stderr).toBe(
      'wireprobe: bad scenario file "b.yaml": suite name "mine" is also the name of "a.yaml"\'s suite\n',
    );
    expect((await inProcess(['run', '--scenarios', 'c.yaml'], dir)).stderr).toMatch(
      /^wireprobe: suite "smtp\/resets" from a scenario file has the name of a built-in suite/,
    );
  });
});
