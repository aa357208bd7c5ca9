import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepQueue } from '../../src/protocol/step-queue.js';

/** What a StepQueue must do: an array of steps, oldest first. */
class Model {
  readonly steps: string[] = [];
  push(step: string): void {
    this.steps.push(step);
  }
  shift(): string | undefined {
    return this.steps.shift();
  }
  remove(step: string): boolean {
    const i = this.steps.indexOf(step);
    if (i !== -1) this.steps.splice(i, 1);
    return i !== -1;
  }
}

type Op = { readonly op: 'push' | 'remove'; readonly step: string } | { readonly op: 'shift' };

describe('StepQueue', () => {
  it('keeps steps in order, a run of one step as one entry, and takes the oldest of a step from anywhere', () => {
    const queue = new StepQueue('greeting');
    for (const step of ['mail', 'rcpt', 'rcpt', 'rcpt', 'data', 'rcpt']) queue.push(step);
    expect(queue.size).toBe(7);
    expect(queue.shift()).toBe('greeting');
    expect(queue.remove('rcpt')).toBe(true); // the oldest rcpt: one of the run of three
    expect(queue.remove('vrfy')).toBe(false);
    const order: string[] = [];
    for (let step = queue.shift(); step !== undefined; step = queue.shift()) order.push(step);
    expect(order).toEqual(['mail', 'rcpt', 'rcpt', 'data', 'rcpt']);
    expect(queue.size).toBe(0);
    expect(queue.oldest).toBeUndefined();
  });

  it('behaves as an array of steps over any pushes, shifts and removes, past thousands of runs taken', () => {
    const step = fc.constantFrom('mail', 'rcpt', 'rset', 'noop');
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: step.map((s) => ({ op: 'push' as const, step: s })) },
      { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
      { weight: 1, arbitrary: step.map((s) => ({ op: 'remove' as const, step: s })) },
    );
    // `n` alternating steps (a run each), `taken` of them shifted (taken runs are dropped once 1,024 or
    // more and half of them), then any ops: pushes, removes right after a drop, and more drops among them.
    const start = fc.integer({ min: 0, max: 5000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })));
    fc.assert(
      fc.property(start, fc.array(op, { maxLength: 3000 }), ([n, taken], ops) => {
        const queue = new StepQueue();
        const model = new Model();
        for (let i = 0; i < n; i++) {
          const s = i % 2 ? 'rset' : 'mail';
          queue.push(s);
          model.push(s);
        }
        for (let i = 0; i < taken; i++) expect(queue.shift()).toBe(model.shift());
        for (const o of ops) {
          if (o.op === 'push') {
            queue.push(o.step);
            model.push(o.step);
          } else if (o.op === 'shift') expect(queue.shift()).toBe(model.shift());
          else expect(queue.remove(o.step)).toBe(model.remove(o.step));
          expect(queue.size).toBe(model.steps.length);
          expect(queue.oldest).toBe(model.steps[0]);
        }
        const rest: string[] = [];
        for (let s = queue.shift(); s !== undefined; s = queue.shift()) rest.push(s);
        expect(rest).toEqual(model.steps);
      }),
      { numRuns: 60 },
    );
  });
});
