/** The data side's faults: where each acts when it fires. Socket-free: a recorder stands in for the control Link. */
import { describe, expect, it } from 'vitest';
import type { Link } from '../../src/faults/link.js';
import { parseFault } from '../../src/faults/parse.js';
import type { Fault } from '../../src/faults/types.js';
import { DataArming } from '../../src/proxy/data-arming.js';
import { Transcript } from '../../src/proxy/transcript.js';

/** A control Link that records what faults did to it. */
function recorder(): { link: Link; calls: string[] } {
  const calls: string[] = [];
  const link: Link = {
    inject: (toward) => void calls.push(`inject ${toward}`),
    reset: (toward) => void calls.push(`reset ${toward}`),
    close: (toward, then) => void calls.push(`close ${toward} ${then}`),
    hold: (ms) => void calls.push(`hold ${ms ?? 'forever'}`),
    swallow: () => void calls.push('swallow'),
    shape: (toward) => void calls.push(`shape ${toward}`),
  };
  return { link, calls };
}

function arming(faults: readonly Fault[], veto: (f: Fault) => boolean = () => true) {
  const control = recorder();
  const transcript = new Transcript(0, 1);
  const listened: Fault[] = [];
  const data = new DataArming({ faults, fire: veto, transcript, control: control.link, listenerFault: (f) => listened.push(f) });
  const lines = () => transcript.lines.map((l) => l.replace(/^.*#1 /, ''));
  return { data, calls: control.calls, listened, lines };
}

describe('DataArming', () => {
  it('leaves a data-channel fault to the data connection, with its transcript line', () => {
    const fault = parseFault('reset after RETR +1MiB channel data');
    const { data, calls, lines } = arming([fault]);
    expect(data.fire(fault)).toBe('fault fired: reset after RETR +1MiB channel data');
    expect(calls).toEqual([]);
    expect(lines()).toEqual([]);
    expect(data.forLinks()).toEqual([]);
  });

  it('applies a control fault timed by data octets to the control connection, and says at which octet', () => {
    const fault = parseFault('reset after STOR +100 channel control');
    const { data, calls, lines } = arming([fault]);
    expect(data.fire(fault)).toBeUndefined();
    expect(calls).toEqual(['swallow', 'reset client']);
    expect(lines()).toEqual(['!! fault fired at data octet 100: reset after STOR +100 channel control']);
  });

  it('hands a listener fault timed by data octets to the listener', () => {
    const fault = parseFault('refuse 2s after STOR +100 channel control');
    const { data, calls, listened } = arming([fault]);
    data.fire(fault);
    expect(listened).toEqual([fault]);
    expect(calls).toEqual([]);
  });

  it('does nothing for a vetoed fault, and never fires it again', () => {
    const fault = parseFault('reset after STOR +100 channel control');
    const { data, calls, lines } = arming([fault], () => false);
    expect(data.fire(fault)).toBeUndefined();
    expect(calls).toEqual([]);
    expect(lines()).toEqual([]);
    expect(data.forLinks()).toEqual([]);
  });

  it('fires a dataport fault at the first address it can change, then keeps to it', () => {
    const fault = parseFault('dataport wrong-address');
    const { data, lines } = arming([fault]);
    expect(data.misroute(false)).toBeUndefined(); // a 229 names no address
    expect(data.misroute(true)).toBe('wrong-address');
    expect(data.misroute(true)).toBe('wrong-address');
    expect(lines()).toEqual(['!! fault fired: dataport wrong-address']);
  });

  it('gives data connections every fault but dataport', () => {
    const faults = ['dataport refused', 'reset on connect channel data', 'close after RETR +10 channel data'].map((t) => parseFault(t));
    expect(arming(faults).data.forLinks()).toEqual(faults.slice(1));
  });
});
