/** Exim's spool read as exim would deliver each message: -H's header lines (not those deleted), then -D after its first line. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eximSpool, readEximSpool } from '../../servers/real/exim.js';
import { readWhole } from '../../src/util/stored-copies.js';

/** A -H file: its envelope, a blank line, then each header as `NNNf text` (NNN: its length in octets, f: its flag). */
const headerFile = (id: string, headers: ReadonlyArray<readonly [flag: string, text: string]>): string =>
  `${id}-H\nExim 101 101\n<sender@wireprobe.test>\n1733580000 0\n-received_time_usec .000000\n1\nsink@wireprobe.test\n\n${headers
    .map(([flag, text]) => `${String(Buffer.byteLength(text, 'latin1')).padStart(3, '0')}${flag} ${text}`)
    .join('')}`;

describe('eximSpool', () => {
  let input: string;
  beforeEach(() => {
    input = mkdtempSync(join(tmpdir(), 'wireprobe-exim-spool-'));
  });
  afterEach(() => rmSync(input, { recursive: true, force: true }));

  it('gives each message oldest first, read as a stream: kept headers, the empty line, the body of many pieces', async () => {
    // Over several of a read stream's pieces (64 KiB), a CRLF-free body as exim spools it.
    const body = Buffer.alloc(200_000, 0x61);
    body.write('\nlast line\n', body.length - 11, 'latin1');
    const write = (id: string, headers: ReadonlyArray<readonly [string, string]>, data: Buffer, age: number): void => {
      writeFileSync(join(input, `${id}-D`), Buffer.concat([Buffer.from(`${id}-D\n`), data]));
      writeFileSync(join(input, `${id}-H`), headerFile(id, headers), 'latin1');
      const when = new Date(Date.now() - age * 1000);
      utimesSync(join(input, `${id}-H`), when, when);
    };
    write('1tNEW2-000002-AB', [['P', 'Received: from b\n']], Buffer.from('short\n'), 1);
    write(
      '1tOLD1-000001-AB',
      [
        ['P', 'Received: from localhost\n\tby vm with esmtp\n'],
        ['*', 'X-Removed: by a filter\n'],
        [' ', 'Subject: hi\n'],
      ],
      body,
      2,
    );
    writeFileSync(join(input, '1tHALF-000003-AB-D'), '1tHALF-000003-AB-D\nno -H yet\n'); // -H is written last: not complete

    const stored = await eximSpool(input);
    expect(stored.map((m) => m.name)).toEqual(['1tOLD1-000001-AB', '1tNEW2-000002-AB']);
    const first = await readWhole(stored[0]!);
    expect(first.equals(Buffer.concat([Buffer.from('Received: from localhost\n\tby vm with esmtp\nSubject: hi\n\n'), body]))).toBe(true);
    expect((await readWhole(stored[1]!)).toString('latin1')).toBe('Received: from b\n\nshort\n');
    expect((await readEximSpool(input)).map((m) => m.length)).toEqual([first.length, 24]);
  });

  it('fails to read a message whose -D is gone, and leaves it out of the whole messages', async () => {
    writeFileSync(join(input, '1tGONE-000001-AB-H'), headerFile('1tGONE-000001-AB', [[' ', 'Subject: x\n']]), 'latin1');
    const [gone] = await eximSpool(input);
    await expect(readWhole(gone!)).rejects.toThrow(/ENOENT/);
    expect(await readEximSpool(input)).toEqual([]);
  });
});
