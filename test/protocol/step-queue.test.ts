import { describe, expect, it } from 'vitest';
import { StepQueue } from '../../src/protocol/step-queue.js';

describe('StepQueue', () => {
  it('keeps steps in order, a run of one step as one entry, and takes the oldest of a step from anywhere', () => {
    const queue = new StepQueue('greeting');
    for (const step of ['mail', 'rcpt', 'rcpt', 'rcpt', 'data', 'rcpt']) queue.push(step);
    expect(queue.size).toBe(7);
    expect(queue.shift()).toBe('greeting');
    expect(queue.find((step) => step === 'data')).toBe('data');
    expect(queue.remove('rcpt')).toBe(true); // the oldest rcpt: one of the run of three
    expect(queue.remove('vrfy')).toBe(false);
    const order: string[] = [];
    for (let step = queue.shift(); step !== undefined; step = queue.shift()) order.push(step);
    expect(order).toEqual(['mail', 'rcpt', 'rcpt', 'data', 'rcpt']);
    expect(queue.size).toBe(0);
    expect(queue.oldest).toBeUndefined();
  });
});
