import { describe, expect, it } from 'vitest';
import {
  collectProvenance,
  environment,
  formatProvenance,
  joinProvenance,
  type Provenance,
  provenanceChanges,
  provenancePairs,
  ranIn,
} from '../../src/report/provenance.js';

const base: Provenance = {
  wireprobe: '1.2.3',
  node: 'v20.20.0',
  openssl: '3.0.19',
  os: 'Linux 6.1.0 x64',
  clients: { curl: 'curl 7.88.1', nodemailer: 'nodemailer 10.6.0' },
  servers: { 'mock-smtp': 'smtp-server 3.21.6' },
};

describe('collectProvenance', () => {
  it('reads the in-process clients and the mocks from their packages, and leaves out names it has no way to ask', async () => {
    const p = await collectProvenance({
      wireprobe: '9.9.9',
      clients: ['nodemailer', 'basic-ftp', 'my-own-client'],
      servers: ['mock-smtp', 'mock-ftp', 'my-server'],
    });
    expect(p.wireprobe).toBe('9.9.9');
    expect(p.node).toBe(process.version);
    expect(p.openssl).toBe(process.versions.openssl);
    expect(p.clients).toEqual({ nodemailer: expect.stringMatching(/^nodemailer \d+\.\d+\.\d+/), 'basic-ftp': expect.stringMatching(/^basic-ftp \d/) });
    expect(p.servers).toEqual({ 'mock-smtp': expect.stringMatching(/^smtp-server \d/), 'mock-ftp': expect.stringMatching(/^ftp-srv \d/) });
  });

  it("takes a program's first output line, and omits a program that is missing, says nothing or does not finish in time", async () => {
    const p = await collectProvenance({
      wireprobe: '1',
      clients: ['echoes', 'missing', 'silent', 'hangs', 'on-stdin'],
      servers: ['labelled'],
      timeoutMs: 300,
      sources: {
        clients: {
          echoes: { program: 'sh', args: ['-c', 'echo; echo "tool 1.0"; echo second'] },
          missing: { program: 'wireprobe-no-such-program', args: ['--version'] },
          silent: { program: 'true', args: [] },
          hangs: { program: 'sleep', args: ['30'] },
          'on-stdin': { program: 'sh', args: ['-c', 'echo "old 2.0" >&0'] },
        },
        servers: { labelled: { program: 'sh', args: ['-c', 'echo 3.7.11'], label: 'Postfix' } },
      },
    });
    expect(p.clients).toEqual({ echoes: 'tool 1.0', 'on-stdin': 'old 2.0' });
    expect(p.servers).toEqual({ labelled: 'Postfix 3.7.11' });
  });
});

describe('provenanceChanges', () => {
  it('is empty for the same environment and names each field that differs', () => {
    expect(provenanceChanges(base, { ...base })).toEqual([]);
    const other = { ...base, node: 'v22.1.0', clients: { ...base.clients, curl: 'curl 8.5.0' }, servers: { ...base.servers, postfix: 'Postfix 3.7' } };
    expect(provenanceChanges(base, other)).toEqual(['node: "v20.20.0" vs "v22.1.0"', 'client curl: "curl 7.88.1" vs "curl 8.5.0"']);
  });

  it('says when only one report carries provenance', () => {
    expect(provenanceChanges(undefined, undefined)).toEqual([]);
    expect(provenanceChanges(base, undefined)).toEqual(['one report carries no provenance']);
  });
});

describe('formatting provenance', () => {
  it('is one console line with each distinct program once', () => {
    expect(formatProvenance(base)).toBe(
      'provenance: wireprobe 1.2.3, node v20.20.0, OpenSSL 3.0.19, Linux 6.1.0 x64; curl 7.88.1, nodemailer 10.6.0, smtp-server 3.21.6',
    );
    expect(formatProvenance({ ...base, clients: {}, servers: {} })).toBe('provenance: wireprobe 1.2.3, node v20.20.0, OpenSSL 3.0.19, Linux 6.1.0 x64');
  });

  it('flattens to name/value pairs for JUnit properties and the HTML header', () => {
    expect(provenancePairs(base)).toEqual([
      ['wireprobe', '1.2.3'],
      ['node', 'v20.20.0'],
      ['openssl', '3.0.19'],
      ['os', 'Linux 6.1.0 x64'],
      ['client.curl', 'curl 7.88.1'],
      ['client.nodemailer', 'nodemailer 10.6.0'],
      ['server.mock-smtp', 'smtp-server 3.21.6'],
    ]);
  });

  it('keeps only the clients and servers some result ran with', () => {
    expect(ranIn(base, [{ client: 'nodemailer', server: 'mock-smtp' }])).toEqual({ ...base, clients: { nodemailer: 'nodemailer 10.6.0' } });
  });

  it("joins shards' provenance: the first's environment, every client and server in the run's order", () => {
    const a = { ...base, clients: { nodemailer: 'nodemailer 10.6.0' }, servers: {} };
    const b = { ...base, node: 'v22', clients: { curl: 'curl 8', nodemailer: 'nodemailer 9' }, servers: { 'mock-smtp': 'smtp-server 3' } };
    const joined = joinProvenance([a, b], { clients: ['curl', 'nodemailer'], servers: [] });
    expect(joined).toEqual({ ...base, clients: { curl: 'curl 8', nodemailer: 'nodemailer 10.6.0' }, servers: { 'mock-smtp': 'smtp-server 3' } });
    expect(Object.keys(joined!.clients)).toEqual(['curl', 'nodemailer']);
    expect(joinProvenance([])).toBeUndefined();
  });

  it("describes this machine's Node and OS", () => {
    expect(environment('0.0.1')).toMatchObject({ wireprobe: '0.0.1', node: process.version, os: expect.stringContaining(process.arch) });
  });
});

describe('provenance of what the user brought', () => {
  it("gives a user's own client by its description and a user's server config by its launcher's version", async () => {
    const p = await collectProvenance({
      wireprobe: '0.0.0',
      clients: ['nodemailer', 'my-mailer'],
      servers: ['mock-smtp', 'mock-smtp:staging'],
      described: { nodemailer: 'not used: it has a version', 'my-mailer': 'command: ./send-mail.sh {host} {port}' },
    });
    expect(p.clients['my-mailer']).toBe('command: ./send-mail.sh {host} {port}');
    expect(p.clients.nodemailer).toMatch(/^nodemailer \d/);
    expect(p.servers['mock-smtp:staging']).toBe(p.servers['mock-smtp']);
  });
});
