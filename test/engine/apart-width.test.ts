import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { apartWidth, idleCores } from '../../src/engine/apart-width.js';

describe('apart runs at once', () => {
  it('two per idle core, within 1 and the limit', () => {
    expect(apartWidth(4, 2)).toBe(4);
    expect(apartWidth(4, 1.6)).toBe(3);
    expect(apartWidth(4, 1)).toBe(2);
    expect(apartWidth(4, 0.4)).toBe(1);
    // Both cores taken by other programs: one at a time.
    expect(apartWidth(4, 0)).toBe(1);
    expect(apartWidth(4, 16)).toBe(4);
    expect(apartWidth(1, 2)).toBe(1);
  });

  it("samples the machine's idle cores: between none and all of them", async () => {
    const idle = await idleCores(50);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThanOrEqual(os.cpus().length);
  });
});
