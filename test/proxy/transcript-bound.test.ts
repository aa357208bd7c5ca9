import { describe, expect, it } from 'vitest';
import { TRANSCRIPT_HEAD, TRANSCRIPT_TAIL, Transcript } from '../../src/proxy/transcript.js';

const text = (line: string): string => line.slice(line.indexOf(' C  ') + 4);

describe('Transcript bound', () => {
  it('keeps every line while under head + tail', () => {
    const t = new Transcript(performance.now(), 1);
    for (let i = 0; i < TRANSCRIPT_HEAD + TRANSCRIPT_TAIL; i++) t.add('C', `line ${i}`);
    expect(t.lines.map(text)).toEqual(Array.from({ length: TRANSCRIPT_HEAD + TRANSCRIPT_TAIL }, (_, i) => `line ${i}`));
  });

  it('keeps the first and the newest lines of a long session, says how many it left out, and the live log gets all', () => {
    const live: string[] = [];
    const t = new Transcript(performance.now(), 7, (line) => live.push(line));
    const total = TRANSCRIPT_HEAD + TRANSCRIPT_TAIL + 2345;
    for (let i = 0; i < total; i++) t.add('C', `line ${i}`);
    const lines = t.lines;
    expect(lines).toHaveLength(TRANSCRIPT_HEAD + TRANSCRIPT_TAIL + 1);
    expect(lines.slice(0, TRANSCRIPT_HEAD).map(text)).toEqual(Array.from({ length: TRANSCRIPT_HEAD }, (_, i) => `line ${i}`));
    expect(lines[TRANSCRIPT_HEAD]).toMatch(/ #7 -- 2345 lines left out here \(the live log has them\)$/);
    expect(lines.slice(TRANSCRIPT_HEAD + 1).map(text)).toEqual(Array.from({ length: TRANSCRIPT_TAIL }, (_, i) => `line ${total - TRANSCRIPT_TAIL + i}`));
    expect(live).toHaveLength(total);
  });
});
