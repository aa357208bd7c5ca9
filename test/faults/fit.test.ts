import { describe, expect, it } from 'vitest';
import { neverFires } from '../../src/faults/fit.js';
import { parseFault } from '../../src/faults/parse.js';
import { SUITES } from '../../suites/index.js';

describe('neverFires', () => {
  it.each([
    ['reset after RCPT', 'ftp', 'RCPT is SMTP only'],
    ['reset after DATA +64KiB', 'ftp', 'DATA is SMTP only'],
    ['reply 451 before dot', 'ftp', 'dot is SMTP only'],
    ['close before reply to BDAT LAST', 'ftp', 'BDAT LAST is SMTP only'],
    ['reset after STOR', 'smtp', 'STOR is FTP only'],
    ['close before reply to PASV', 'smtp', 'PASV is FTP only'],
    ['reset after STOR +1KiB channel data', 'smtp', 'channel data is FTP only'],
    ['dataport refused', 'smtp', 'dataport is FTP only'],
  ] as const)('%s in %s: %s', (text, protocol, why) => {
    expect(neverFires(parseFault(text), protocol)).toBe(why);
  });

  it.each([
    ['reset after greeting', 'ftp'],
    ['reset after greeting', 'smtp'],
    ['close before QUIT', 'ftp'],
    ['reply 502 before AUTH', 'smtp'],
    ['reset on connect', 'smtp'],
    ['reset after STOR +1KiB channel data', 'ftp'],
    ['reset after XCUSTOM', 'smtp'],
  ] as const)('%s can fire in %s', (text, protocol) => {
    expect(neverFires(parseFault(text), protocol)).toBeUndefined();
  });

  it('passes every built-in scenario', () => {
    const scenarios = SUITES.flatMap((s) => s.scenarios).filter((s) => s.fault !== undefined);
    expect(scenarios.length).toBeGreaterThan(100);
    for (const s of scenarios) expect([s.id, neverFires(s.fault!, s.protocol)]).toEqual([s.id, undefined]);
  });
});
