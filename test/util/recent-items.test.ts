import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentItems } from '../../src/util/recent-items.js';

describe('RecentItems', () => {
  it('reads as an array holding the newest `limit` items pushed, over any limit and count, past thousands let go', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constant(Number.POSITIVE_INFINITY)), fc.integer({ min: 0, max: 5000 }), (limit, count) => {
        const recent = new RecentItems<{ n: number }>(limit);
        const view = recent.view; // held from the start: a live view
        const model: { n: number }[] = [];
        for (let n = 0; n < count; n++) {
          const item = { n };
          model.push(item);
          const gone = model.length > limit ? model.shift() : undefined;
          expect(recent.push(item)).toBe(gone);
        }
        expect(recent.size).toBe(model.length);
        expect(view.length).toBe(model.length);
        expect(view[0]).toBe(model[0]);
        expect(view.at(-1)).toBe(model.at(-1));
        expect(view[model.length]).toBeUndefined();
        expect(model.length in view).toBe(false);
        expect(model.length === 0 || 0 in view).toBe(true);
        expect([...view]).toEqual(model);
        expect(view.map((item) => item.n)).toEqual(model.map((item) => item.n));
        expect(view).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });

  it('is an array to JSON, Object.keys, Array.isArray, util.inspect and vitest, and refuses writes', () => {
    const recent = new RecentItems<string>(2);
    for (const item of ['a', 'b', 'c']) recent.push(item);
    const view = recent.view as string[];
    expect(Array.isArray(view)).toBe(true);
    expect(JSON.stringify({ view })).toBe('{"view":["b","c"]}');
    expect(Object.keys(view)).toEqual(['0', '1']);
    expect(Object.entries(view)).toEqual([
      ['0', 'b'],
      ['1', 'c'],
    ]);
    expect(inspect({ view })).toBe("{ view: [ 'b', 'c' ] }");
    expect(view).toHaveLength(2);
    expect(view).toContain('c');
    expect(view.slice(1)).toEqual(['c']);
    expect(view.filter((item) => item !== 'b')).toEqual(['c']);
    expect(() => {
      view[0] = 'x';
    }).toThrow(TypeError);
    expect(() => view.push('x')).toThrow(TypeError);
    expect(() => view.pop()).toThrow(TypeError);
    expect(() => Object.freeze(view)).toThrow(TypeError);
    expect([...view]).toEqual(['b', 'c']);
    expect(recent.clear()).toEqual(['b', 'c']);
    expect([view.length, recent.size, [...view]]).toEqual([0, 0, []]);
    recent.push('d');
    expect(view).toEqual(['d']);
    expect(() => new RecentItems(-1)).toThrow(/limit must be 0 or more, got -1/);
  });
});
