/**
 * The sources the probe cites: every finding id has a well-formed RFC reference, every RFC section it
 * cites is one that was read in the RFC text itself, and the README's probe table lists exactly the
 * code's ids with the code's sources (so a new finding, or a changed source, without a README row fails).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FTP_FINDINGS } from '../../src/probe/ftp-ids.js';
import { SMTP_FINDINGS } from '../../src/probe/smtp-ids.js';

const FINDINGS: readonly { readonly id: string; readonly rfc: string }[] = [...SMTP_FINDINGS, ...FTP_FINDINGS];

/**
 * The RFC sections the findings cite, each read in the RFC text on 2026-12-04 and found to say what the
 * README's table paraphrases. Citing a section not listed here fails: read it, then add it.
 * An empty list: the whole document is cited, no section.
 */
const CHECKED_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  'RFC 959': ['3.2', '4.1.1', '4.1.2', '4.1.3', '4.2', '5.4'],
  'RFC 1870': ['4', '6.1'],
  'RFC 2389': ['3.2'],
  'RFC 2428': ['2', '3', '4'],
  'RFC 2505': ['2.1'],
  'RFC 2577': ['2', '3'],
  'RFC 2640': ['3.2'],
  'RFC 2920': ['3.2'],
  'RFC 3030': ['2'],
  'RFC 3207': ['4', '4.2'],
  'RFC 3659': ['3', '4', '5', '7'],
  // RFC 4217 checked against quotations of it (the PBSZ 0 / PROT P text of §9, the AUTH TLS 234 of §4,
  // the FEAT lines of §6, session reuse on data connections in §10.2), not the full text: re-read it.
  'RFC 4217': ['4', '6', '9', '10.2'],
  'RFC 4954': ['4'],
  'RFC 5321': [
    '2.3.8',
    '3.1',
    '3.6.2',
    '3.8',
    '4.1.1.1',
    '4.1.1.4',
    '4.1.1.10',
    '4.1.1.11',
    '4.1.2',
    '4.2.3',
    '4.2.4',
    '4.5.3.1.4',
    '4.5.3.1.6',
    '4.5.3.1.8',
    '4.5.3.1.9',
    '4.5.3.1.10',
    '4.5.3.2.1',
    '4.5.3.2.7',
    '7.9',
  ],
  'RFC 6152': ['2', '3'],
  'RFC 6531': ['3.1', '3.2', '3.4', '3.5'],
  'RFC 7817': [],
  'RFC 8996': [],
  // RFC 9325 §3.1.1 checked against RFC 7525 §3.1.1 (its predecessor, same section) and RFC 8996.
  'RFC 9325': ['3.1.1'],
};

/** `RFC 5321`, or `RFC 5321 §3.1, §4.5.3.2.1`: one RFC, then its sections (no ranges) in a list. */
const RFC_PART = /^(RFC \d{3,4})(?: (§\d+(?:\.\d+)*(?:, §\d+(?:\.\d+)*)*))?$/;
const CVE_PART = /^CVE-\d{4}-\d{4,}$/;

/** A finding's source split into its `; `-separated parts. */
const partsOf = (rfc: string): string[] => rfc.split('; ');

describe('the RFC references of the probe findings', () => {
  it('has findings to check, each id once', () => {
    expect(FINDINGS.length).toBeGreaterThan(0);
    expect(new Set(FINDINGS.map((f) => f.id)).size).toBe(FINDINGS.length);
  });

  it.each(FINDINGS.map((f) => [f.id, f.rfc] as const))('%s cites an RFC first, in the form "RFC NNNN §x.y, §z"', (_id, rfc) => {
    const parts = partsOf(rfc);
    expect(parts[0], 'the first source is an RFC').toMatch(RFC_PART);
    for (const part of parts) {
      if (part.startsWith('RFC')) expect(part).toMatch(RFC_PART);
      else if (part.startsWith('CVE')) expect(part).toMatch(CVE_PART);
      // Anything else names server settings (vsftpd pasv_address, ...): free text, but no RFC inside it.
      else expect(part).not.toMatch(/RFC|§/);
    }
  });

  it.each(FINDINGS.map((f) => [f.id, f.rfc] as const))('%s cites only sections read in the RFC text', (_id, rfc) => {
    for (const part of partsOf(rfc).filter((p) => p.startsWith('RFC'))) {
      const [, doc = '', sections] = RFC_PART.exec(part) ?? [];
      const checked = CHECKED_SECTIONS[doc];
      expect(checked, `${doc} has been checked`).toBeDefined();
      for (const section of sections ? sections.split(', ').map((s) => s.slice(1)) : []) {
        expect(checked, `${doc} §${section}`).toContain(section);
      }
    }
  });
});

/** The README's rows for finding ids: `| id | checks | source | what the source says |`, split on unescaped pipes. */
function readmeRows(): string[][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  return readme
    .split('\n')
    .filter((line) => /^\| (smtp|ftp)\.[a-z0-9-]+ \|/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe("the README's table of probe findings", () => {
  const rows = readmeRows();

  it('lists exactly the finding ids of the code, in report order', () => {
    expect(rows.map((row) => row[0])).toEqual(FINDINGS.map((f) => f.id));
  });

  it('gives each id the source the findings carry, and a paraphrase of what that source says', () => {
    for (const row of rows) {
      expect(row, `${row[0]} has four columns`).toHaveLength(4);
      const finding = FINDINGS.find((f) => f.id === row[0]);
      expect(row[2], `${row[0]}'s source`).toBe(finding?.rfc);
      expect(row[3], `${row[0]}'s paraphrase`).not.toBe('');
    }
  });

  it('stands alone: no pointer to files outside the repository', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).not.toMatch(/\.\.\/shared|PROBE-CHECKS/);
  });
});
