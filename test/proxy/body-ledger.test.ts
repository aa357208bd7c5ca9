import { describe, expect, it } from 'vitest';
import { BodyLedger } from '../../src/proxy/body-ledger.js';

const body = (start: number, end: number, before: number) => ({ kind: 'body' as const, start, end, before });

describe('BodyLedger', () => {
  it('says nothing without a fault, or when no body octet was logged after it', () => {
    const ledger = new BodyLedger();
    const mark = body(0, 100, 0);
    ledger.observed(mark);
    ledger.relayed(mark, 100);
    expect(ledger.afterFault()).toBeUndefined();
    ledger.faultFired();
    expect(ledger.afterFault()).toBeUndefined();
  });

  it('counts octets logged past the cut as swallowed, in part or in whole', () => {
    const ledger = new BodyLedger();
    const mark = body(0, 1000, 0);
    ledger.observed(mark); // the whole chunk is logged before the fault cuts it at 600
    ledger.relayed(mark, 600);
    ledger.faultFired();
    expect(ledger.afterFault()).toBe('400 body octets after the fault were swallowed: none reached the server');
    ledger.relayed(mark, 700);
    expect(ledger.afterFault()).toBe('400 body octets after the fault: 100 reached the server, 300 were swallowed');
    ledger.relayed(mark, 1000);
    expect(ledger.afterFault()).toBe('400 body octets after the fault reached the server');
    expect(ledger.current).toBe(1000);
  });

  it('starts a new message at its first body mark, whatever the last one relayed', () => {
    const ledger = new BodyLedger();
    const first = body(0, 100, 0);
    ledger.observed(first);
    ledger.relayed(first, 100);
    ledger.faultFired();
    const second = body(0, 150, 0);
    ledger.observed(second);
    ledger.relayed(second, 150);
    expect(ledger.afterFault()).toBe('150 body octets after the fault reached the server');
    expect(ledger.current).toBe(150);
  });
});
