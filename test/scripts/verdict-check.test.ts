import { describe, expect, it } from 'vitest';
import type { JsonResult } from '../../src/report/json.js';
import { outside } from '../../scripts/verdict-check.js';

/** An smtp/resets result on the mock with only what the check reads. */
function resets(name: string, client: string, phase: string): JsonResult {
  const outcome = { kind: 'closed', phase, bytesSent: 0 } as const;
  return { id: `smtp/resets/${name}/${client}`, suite: 'smtp/resets', client, server: 'mock-smtp', outcome, verdict: 'conformant' } as unknown as JsonResult;
}

describe('verdict-check', () => {
  it('passes a cell that fits its expectation', () => {
    expect(outside(resets('close-after-mail', 'msmtp', 'rcpt'))).toBeUndefined();
  });

  it('names what a cell outside its expectation got and what was wanted', () => {
    expect(outside(resets('close-after-mail', 'msmtp', 'mail'))).toBe('closed mail conformant: want ["closed","rcpt","conformant"]');
  });
});
