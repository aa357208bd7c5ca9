/**
 * A download-only program as the user's FTP client (wget, aria2c): declared with `directions:
 * [download]` in the config file, its template has no {direction}; it runs the download scenarios, its
 * file checked by size and SHA-256, and every upload scenario is `n/a` for it, never a failure.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonResult } from '../../src/report/json.js';
import { SUITES } from '../../suites/index.js';
import { inProcess } from '../helpers/in-process.js';

/** The user's fetcher: curl downloading the remote file to the local one; it cannot upload. */
const FETCH = `#!/bin/sh
exec curl --silent --show-error --user "$1:$WIREPROBE_PASSWORD" --output "$2" "ftp://$3:$4/%2F\${5#/}"
`;

const CONFIG = `clients:
  - name: fetch
    protocol: ftp
    command: ./fetch.sh {user} {file} {host} {port} {path}
    directions: [download]
reports:
  json: report.json
`;

describe('a download-only command client', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-fetch-'));
    await writeFile(join(dir, 'fetch.sh'), FETCH);
    await chmod(join(dir, 'fetch.sh'), 0o755);
    await writeFile(join(dir, 'wireprobe.config.yaml'), CONFIG);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads intact where the suite downloads, and is n/a for every upload', async () => {
    const { code, stdout } = await inProcess(['run', '--suite', 'ftp/modes'], dir);
    expect(code, stdout).toBe(0);
    const { results } = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { results: JsonResult[] };
    const scenarios = SUITES.find((s) => s.name === 'ftp/modes')!.scenarios;
    const downloads = new Set(scenarios.filter((s) => s.protocol === 'ftp' && s.ftp.direction === 'download').map((s) => s.id));
    expect(downloads.size).toBeGreaterThan(0);
    expect(downloads.size).toBeLessThan(scenarios.length);
    // Passive only: the template has no {mode}.
    const passive = results.filter((r) => r.mode === 'passive');
    expect(passive).toHaveLength(scenarios.length);
    const cell = (r: JsonResult): string => `${r.outcome?.kind ?? '-'} ${r.verdict}: ${r.reason}`;
    for (const r of passive) {
      if (downloads.has(r.id.replace(/\/fetch\/passive$/, ''))) expect(cell(r), r.id).toMatch(/^delivered conformant: transferred intact/);
      else expect(cell(r), r.id).toBe('- n/a: fetch does not upload');
    }
  });
});
