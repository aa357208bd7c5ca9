import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result, Verdict } from '../../src/engine/types.js';
import { writeJunitReport } from '../../src/report/junit.js';
import { writeProbeJunit } from '../../src/report/probe.js';
import { located } from '../helpers/located.js';

/** A result in `suite` with the given verdict and reason. */
function result(suite: string, name: string, verdict: Verdict, reason = `${name} ${verdict}`): Result {
  return located({
    id: `${suite}/${name}/nodemailer`,
    suite,
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock',
    title: name,
    fault: null,
    faultFired: false,
    outcome: verdict === 'error' ? null : { kind: 'reset', phase: 'rcpt', bytesSent: 0 },
    sink: null,
    expected: 'fails',
    verdict,
    reason,
    durationMs: 1500,
    transcript: [`0.000 S: 220 ${name}`, '0.001 C: QUIT'],
  });
}

const results = [
  result('smtp/resets', 'reset-after-rcpt', 'conformant'),
  result('smtp/resets', 'reset-in-body', 'deviates', 'client said "sent" & the sink holds <0> copies'),
  result('smtp/timeouts', 'stall-greeting', 'unfired'),
  result('smtp/timeouts', 'stall-dot', 'error', 'client crashed'),
];

describe('writeJunitReport', () => {
  let dir = '';
  let xml = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-junit-'));
    const file = join(dir, 'out', 'junit.xml');
    await writeJunitReport(file, results);
    xml = await readFile(file, 'utf8');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one testsuite per suite and one testcase per result', () => {
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml).toContain('<testsuite name="smtp/resets" tests="2" failures="1" errors="0"');
    expect(xml).toContain('<testsuite name="smtp/timeouts" tests="2" failures="1" errors="1"');
    const names = [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)" time="([^"]*)"/g)];
    expect(names.map((m) => m[2])).toEqual(results.map((r) => r.id));
    expect(names.map((m) => m[1])).toEqual(['smtp.resets', 'smtp.resets', 'smtp.timeouts', 'smtp.timeouts']);
    expect(names.map((m) => m[3])).toEqual(['1.5', '1.5', '1.5', '1.5']);
  });

  it('reports a deviating result as a failure with its reason, escaped', () => {
    expect(xml).toContain('<failure message="client said &quot;sent&quot; &amp; the sink holds &lt;0> copies" type="deviates"/>');
  });

  it('reports an unfired result as a failure and an error result as an error', () => {
    expect(xml).toContain('<failure message="stall-greeting unfired" type="unfired"/>');
    expect(xml).toContain('<error message="client crashed" type="error"/>');
    expect(xml.match(/<failure /g)).toHaveLength(2);
    expect(xml.match(/<error /g)).toHaveLength(1);
  });

  it('puts the transcript in system-out', () => {
    expect(xml).toMatch(/<system-out>\s*<!\[CDATA\[0\.000 S: 220 reset-in-body\n0\.001 C: QUIT\]\]>\s*<\/system-out>/);
  });
});

describe('writeJunitReport of an interrupted run', () => {
  it('adds an incomplete property and a failing testcase that says why and how many runs finished', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-junit-'));
    try {
      const file = join(dir, 'junit.xml');
      await writeJunitReport(file, results.slice(0, 2), { reason: 'interrupted by SIGINT', total: 40 });
      const xml = await readFile(file, 'utf8');
      expect(xml).toMatch(
        /<testsuite name="wireprobe" tests="1" failures="1" errors="0"[^>]*>\s*<properties>\s*<property name="incomplete" value="interrupted by SIGINT"\/>/,
      );
      expect(xml).toMatch(
        /<testcase classname="wireprobe" name="incomplete"[^>]*>\s*<failure message="interrupted by SIGINT: 2 of 40 runs finished" type="incomplete"\/>/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has no such suite when the run was not interrupted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-junit-'));
    try {
      const file = join(dir, 'junit.xml');
      await writeJunitReport(file, results);
      expect(await readFile(file, 'utf8')).not.toContain('incomplete');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writeJunitReport of a transcript holding "]]>"', () => {
  it('ends no CDATA section early, however many times a server sent it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-junit-'));
    try {
      const file = join(dir, 'junit.xml');
      const hostile = { ...result('smtp/resets', 'cdata', 'conformant'), transcript: ['0.000 S: 220 a ]]> b ]]> <c>&amp;', '0.001 S: 250 ]]>]]>'] };
      await writeJunitReport(file, [hostile]);
      const xml = await readFile(file, 'utf8');
      expect(xml).toContain('<![CDATA[0.000 S: 220 a ]]\\x3e b ]]\\x3e <c>&amp;\n0.001 S: 250 ]]\\x3e]]\\x3e]]>');
      expect(xml.match(/\]\]>/g)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writeProbeJunit of a finding whose server sent "]]>"', () => {
  it('ends no CDATA section early', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-junit-'));
    try {
      const file = join(dir, 'probe.xml');
      const finding = { id: 'smtp.greeting', status: 'pass' as const, rfc: 'RFC 5321 §3.1', sent: [], received: ['220 a ]]> b ]]> c'], advice: 'ok.' };
      const report = {
        tool: 'wireprobe' as const,
        target: 'smtp://127.0.0.1:25',
        protocol: 'smtp' as const,
        address: '127.0.0.1',
        family: 4 as const,
        findings: [finding],
        summary: { pass: 1, warn: 0, fail: 0, skip: 0 },
      };
      await writeProbeJunit(file, report);
      const xml = await readFile(file, 'utf8');
      expect(xml).toContain('<![CDATA[ok. [RFC 5321 §3.1]\nS: 220 a ]]\\x3e b ]]\\x3e c]]>');
      expect(xml.match(/\]\]>/g)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
