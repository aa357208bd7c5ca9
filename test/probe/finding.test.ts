/** The one rounding rule for seconds, at each protocol's places, as the checks used them before it was shared. */
import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/probe/finding.js';

describe('seconds', () => {
  it.each([
    [1234.5, 1, 1.2],
    [1250, 1, 1.3],
    [5000, 1, 5],
    [99, 1, 0.1],
    [1234.5, 2, 1.23],
    [1235, 2, 1.24],
    [300_004, 2, 300],
    [4, 2, 0],
    [1234.5, 3, 1.235],
    [12.4, 3, 0.012],
  ] as const)('rounds %d ms to %d places: %d s', (ms, places, want) => {
    expect(seconds(ms, places)).toBe(want);
  });
});
