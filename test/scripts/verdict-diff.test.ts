import { describe, expect, it } from 'vitest';
import type { JsonResult } from '../../src/report/json.js';
import { cellId, differing, verdictTables } from '../../scripts/verdict-diff.js';

/** A result with only what the diff reads. */
function result(id: string, client: string, phase: string, verdict: JsonResult['verdict'], mode?: 'passive' | 'active'): JsonResult {
  const outcome = { kind: 'closed', phase, bytesSent: 0 } as const;
  return { id, client, ...(mode ? { mode } : {}), server: 'mock', outcome, verdict } as unknown as JsonResult;
}

describe('verdict-diff', () => {
  it('names a cell by scenario, client with its FTP mode, and server', () => {
    expect(cellId(result('ftp/resets/x', 'lftp', 'stor', 'conformant', 'active'))).toBe('ftp/resets/x lftp/active @mock');
  });

  it('lists only the cells whose kind, phase or verdict differ, and cells a report lacks', () => {
    const a = {
      results: [result('s/a', 'curl', 'mail', 'conformant'), result('s/b', 'curl', 'rcpt', 'conformant'), result('s/c', 'curl', 'dot', 'conformant')],
    };
    const b = { results: [result('s/a', 'curl', 'mail', 'conformant'), result('s/b', 'curl', 'mail', 'conformant')] };
    expect(differing(verdictTables([a, b]))).toEqual([
      ['s/b curl @mock', ['closed rcpt conformant', 'closed mail conformant']],
      ['s/c curl @mock', ['closed dot conformant', undefined]],
    ]);
  });
});
