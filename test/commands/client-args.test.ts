/** `--client` text as a user writes it: built-in names and module paths in one comma-separated list. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientsFrom } from '../../src/commands/client-args.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-client-args-'));
  await writeFile(join(dir, 'my-mailer.mjs'), 'export async function send() {}\n');
  await writeFile(join(dir, 'a,b.mjs'), 'export const name = "comma";\nexport async function send() {}\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The clients' names, in the order the run takes them. */
async function namesOf(entry: string): Promise<string[]> {
  return ((await clientsFrom('client', [entry], dir)) ?? []).map((c) => c.name);
}

describe('--client with built-in names and modules', () => {
  it('takes module paths among built-in names in one comma-separated list, either order', async () => {
    expect(await namesOf('nodemailer,./my-mailer.mjs')).toEqual(['nodemailer', 'my-mailer']);
    expect(await namesOf('./my-mailer.mjs, swaks')).toEqual(['swaks', 'my-mailer']);
  });

  it('takes a module path whose name holds a comma whole', async () => {
    expect(await namesOf('./a,b.mjs')).toEqual(['comma']);
  });
});
