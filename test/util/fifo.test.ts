import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/util/fifo.js';

type Op = { readonly op: 'push' | 'remove'; readonly item: number } | { readonly op: 'shift' };

describe('Fifo', () => {
  it('behaves as an array used as a queue over any pushes, shifts and removes, past thousands taken', () => {
    const item = fc.integer({ min: 0, max: 5 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: item.map((i) => ({ op: 'push' as const, item: i })) },
      { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
      { weight: 1, arbitrary: item.map((i) => ({ op: 'remove' as const, item: i })) },
    );
    // `lead` items, `taken` of them shifted (taken items are dropped once 1,024 or more and half the
    // array), then any ops: pushes, removes and finds right after a drop, and more drops among them.
    const start = fc.integer({ min: 0, max: 5000 }).chain((lead) => fc.tuple(fc.constant(lead), fc.integer({ min: 0, max: lead })));
    fc.assert(
      fc.property(start, fc.array(op, { maxLength: 3000 }), ([lead, taken], ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (let i = 0; i < lead; i++) {
          fifo.push(i % 7);
          model.push(i % 7);
        }
        for (let i = 0; i < taken; i++) expect(fifo.shift()).toBe(model.shift());
        for (const o of ops) {
          if (o.op === 'push') {
            fifo.push(o.item);
            model.push(o.item);
          } else if (o.op === 'shift') expect(fifo.shift()).toBe(model.shift());
          else {
            const i = model.indexOf(o.item);
            if (i !== -1) model.splice(i, 1);
            expect(fifo.remove(o.item)).toBe(i !== -1);
          }
          expect([fifo.size, fifo.first, fifo.last]).toEqual([model.length, model[0], model.at(-1)]);
        }
        expect(fifo.find((x) => x === 3)).toBe(model.find((x) => x === 3));
        expect([...fifo]).toEqual(model);
        expect(Array.from({ length: model.length + 2 }, (_, i) => fifo.at(i - 1))).toEqual([undefined, ...model, undefined]);
        const rest: number[] = [];
        for (let x = fifo.shift(); x !== undefined; x = fifo.shift()) rest.push(x);
        expect(rest).toEqual(model);
        expect(fifo.size).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('takes an object off by identity, the oldest occurrence', () => {
    const a = { n: 1 };
    const b = { n: 1 };
    const fifo = new Fifo<{ n: number }>();
    for (const x of [a, b, a]) fifo.push(x);
    expect(fifo.remove(b)).toBe(true);
    expect(fifo.remove(b)).toBe(false);
    expect(fifo.remove(a)).toBe(true);
    expect([...fifo]).toEqual([a]);
    expect(fifo.first).toBe(a);
    expect(fifo.shift()).toBe(a);
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.first).toBeUndefined();
    expect(fifo.last).toBeUndefined();
  });
});
