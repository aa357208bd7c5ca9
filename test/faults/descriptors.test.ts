/**
 * Each registered fault descriptor keeps its promises: its example parses to its kind and round trips,
 * its trigger rule is the parser's, its scope matches the effect it carries, and the generated tables
 * (help, list, README) show it.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listSuites } from '../../src/commands/list.js';
import { isSessionFault } from '../../src/faults/apply.js';
import { formatFault } from '../../src/faults/format.js';
import { parseFault } from '../../src/faults/parse.js';
import { DESCRIPTORS, KINDS, scopeOf } from '../../src/faults/registry.js';
import { faultLines, faultMarkdown, kindSyntax, README_MARKERS, withTable } from '../../src/faults/table.js';

const EACH = DESCRIPTORS.map((d) => [d.kind, d] as const);

describe('every fault descriptor', () => {
  it('is registered once, under its own kind', () => {
    expect(DESCRIPTORS.map((d) => d.kind)).toEqual(KINDS);
    expect(new Set(KINDS).size).toBe(KINDS.length);
  });

  it.each(EACH)('%s: its example parses to its kind, and formatFault writes it back so it parses the same', (kind, d) => {
    const fault = parseFault(d.example);
    expect(fault.kind).toBe(kind);
    expect(parseFault(formatFault(fault))).toEqual(fault);
    expect(formatFault(parseFault(formatFault(fault)))).toBe(formatFault(fault));
  });

  it.each(EACH)('%s: its trigger rule is the one the parser applies', (_kind, d) => {
    const fault = parseFault(d.example);
    const atConnect = formatFault({ ...fault, at: 'connect' });
    if (d.trigger === 'reply-only') {
      expect(fault.at).toMatchObject({ before: 'reply' });
      expect(() => parseFault(`${atConnect} on connect`)).toThrow(`"${d.kind}" only takes "before reply to <step>"`);
      expect(() => parseFault(atConnect)).toThrow(`"${d.kind}" needs a trigger: "before reply to <step>"`);
      return;
    }
    if (d.trigger === 'handshake-only') {
      expect(fault.at).toEqual({ before: 'handshake' });
      expect(() => parseFault(`${atConnect} on connect`)).toThrow(`"${d.kind}" only takes "before handshake"`);
      expect(() => parseFault(atConnect)).toThrow(`"${d.kind}" needs a trigger: "before handshake"`);
      return;
    }
    if (d.trigger === 'required') {
      expect(atConnect).toContain(' on connect');
      expect(() => parseFault(atConnect.replace(' on connect', ''))).toThrow(`"${d.kind}" needs a trigger`);
    } else {
      expect(atConnect).not.toContain(' on connect');
      expect(parseFault(atConnect).at).toBe('connect');
    }
    const afterGreeting = formatFault({ ...fault, at: { after: 'greeting' } });
    if (d.trigger === 'connect-only') expect(() => parseFault(afterGreeting)).toThrow(`"${d.kind}" only takes "on connect"`);
    else expect(parseFault(afterGreeting).at).toEqual({ after: 'greeting' });
  });

  it.each(EACH)('%s: its scope matches the effect it carries', (_kind, d) => {
    const fault = parseFault(d.example);
    const onConnection = d.scope === 'connection' || d.scope === 'data';
    expect(scopeOf(fault)).toBe(d.scope);
    expect(isSessionFault(fault)).toBe(onConnection);
    expect(d.apply !== undefined).toBe(onConnection);
    const onListener = [d.onTrigger, d.admit, d.onListen].some((hook) => hook !== undefined);
    expect(onListener).toBe(d.scope === 'listener');
  });

  it.each(EACH)('%s: has a one-line help and a syntax that starts with its kind', (kind, d) => {
    expect(d.help).toMatch(/^\S[^\n]*$/);
    expect(kindSyntax(d).split(' ')[0]).toBe(kind);
    for (const option of d.options ?? []) expect(kindSyntax(d)).toContain(`[${option.word} ${option.choices.join('|')}]`);
  });
});

describe('the generated fault tables', () => {
  it('list every kind with its help, in --help and in wireprobe list', () => {
    const out = new PassThrough();
    let listed = '';
    out.on('data', (chunk: Buffer) => (listed += chunk.toString()));
    listSuites([], out);
    const lines = faultLines().join('\n');
    for (const d of DESCRIPTORS) {
      expect(lines).toContain(`  ${kindSyntax(d)}`);
      expect(lines).toContain(d.help);
    }
    expect(listed).toContain(lines);
  });

  it('are what README.md holds between its markers (run scripts/fault-table.ts after changing a descriptor)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(README_MARKERS.start);
    expect(withTable(readme, faultMarkdown())).toBe(readme);
    for (const d of DESCRIPTORS) expect(faultMarkdown()).toContain(`\`${d.example}\``);
  });

  it('leaves text without markers alone (undefined)', () => {
    expect(withTable('no markers here', 'table')).toBeUndefined();
    expect(withTable(`${README_MARKERS.end} ${README_MARKERS.start}`, 'table')).toBeUndefined();
  });
});
