/** Armed faults: which is due, each fires once, the proxy's veto, the transcript line. Pure: no sockets. */
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import type { Fault } from '../../src/faults/types.js';
import type { SmtpMark } from '../../src/protocol/smtp.js';
import { Arming, firedLine } from '../../src/proxy/arming.js';

const reply = (to: string, end: number): SmtpMark => ({ kind: 'reply', end, to, code: 250, lines: ['ok'] });

describe('Arming', () => {
  it('fires a fault once: after it fired it is no longer due', () => {
    const fault = parseFault('reset after RCPT');
    const arming = new Arming([fault], () => true);
    expect(arming.dueAt('down', reply('RCPT', 20), 0)).toEqual([{ fault, forwardTo: 20 }]);
    expect(arming.fire(fault)).toBe('fault fired: reset after RCPT');
    expect(arming.dueAt('down', reply('RCPT', 20), 0)).toEqual([]);
    expect(arming.armed).toEqual([]);
  });

  it('disarms a vetoed fault too, and gives no transcript line for it', () => {
    const fault = parseFault('refuse 2s after MAIL');
    const asked: Fault[] = [];
    const arming = new Arming([fault], (f) => {
      asked.push(f);
      return false;
    });
    expect(arming.fire(fault)).toBeUndefined();
    expect(asked).toEqual([fault]);
    expect(arming.armed).toEqual([]);
  });

  it('leaves the other faults armed, in order', () => {
    const [a, b, c] = ['reset after RCPT', 'stall before MAIL', 'delay 1s'].map((t) => parseFault(t)) as [Fault, Fault, Fault];
    const arming = new Arming([a, b, c], () => true);
    arming.fire(b);
    expect(arming.armed).toEqual([a, c]);
  });

  it('lists the faults due on connect, filtered', () => {
    const [onConnect, dataport, later] = ['delay 1s', 'dataport refused', 'reset after RCPT'].map((t) => parseFault(t)) as [Fault, Fault, Fault];
    const arming = new Arming([onConnect, dataport, later], () => true);
    expect(arming.onConnect()).toEqual([onConnect, dataport]);
    expect(arming.onConnect((f) => f.kind !== 'dataport')).toEqual([onConnect]);
  });

  it('finds the data octet fault due first for the transfer', () => {
    const [far, near] = ['reset after STOR +500 channel data', 'close after STOR +100 channel data'].map((t) => parseFault(t)) as [Fault, Fault];
    const arming = new Arming([far, near], () => true);
    expect(arming.dueByOctets('STOR', 0, 1000)).toEqual({ forward: 100, fault: near });
    arming.fire(near);
    expect(arming.dueByOctets('STOR', 100, 1000)).toEqual({ forward: 400, fault: far });
  });

  it('says where a fault was timed when told', () => {
    const fault = parseFault('reset after STOR +100 channel control');
    expect(firedLine(fault, 'at data octet 100')).toBe('fault fired at data octet 100: reset after STOR +100 channel control');
  });
});
