/**
 * curl exits 28 ("timeout") on any 421 it reads (its ftp.c: "We got a 421 - timeout"), at once. A server
 * that read the whole upload before it sent 421 and closed (GNU inetutils ftpd, in
 * ftp/uploads/control-killed-421) showed curl exiting 28 with nothing timed out; the wire tells that 421
 * and the close after it from curl's own timer. Here the 421 answers STOR itself.
 */
import { describe, expect, it } from 'vitest';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { builtinTargets } from '../../src/commands/targets.js';
import type { FtpScenario } from '../../src/engine/types.js';
import { runScenario } from '../../src/engine/run.js';
import { SUITES } from '../../suites/index.js';

const killed = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'ftp/uploads/control-killed-421') as FtpScenario;

/** control-killed-421 with the 421 in STOR's place, on a 64 KiB upload. */
const answered: FtpScenario = {
  ...killed,
  id: 'ftp/uploads/stor-421',
  messageBytes: 64 * 1024,
  fault: { kind: 'reply', code: 421, text: 'Idle timeout, closing control connection', at: { before: 'STOR' }, channel: 'control', then: 'close' },
};

describe("curl's exit 28 for a 421 it read", () => {
  it.each(['passive', 'active'] as const)('is the 421, not a timeout (%s)', async (mode) => {
    const result = await runScenario({ scenario: answered, client: curlFtpClient, mode }, builtinTargets());
    expect(result.outcome?.detail).toMatch(/^exit 28\b/);
    expect([result.outcome?.kind, result.outcome?.phase, result.outcome?.code, result.verdict]).toEqual(['reply', 'stor', 421, 'conformant']);
  });
});
