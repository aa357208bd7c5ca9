/**
 * smtp/large: draft.
 */
import type { Expect, Scenario, Timeouts } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/large';
const KiB = 1024;
const MiB = 1024 * KiB;

const N = Number(process.env.LARGE_MIB ?? 20);
const RATE = Number(process.env.LARGE_RATE ?? 8);
const SHORT = Number(process.env.LARGE_SHORT ?? 1000);
const STALL_MIB = Number(process.env.LARGE_STALL_MIB ?? 16);
const ERR_MIB = Number(process.env.LARGE_ERR_MIB ?? 16);

const delivers: Expect = { client: 'delivers', rule: 'delivers' };
const fails: Expect = { client: 'fails', rule: 'fails' };

function scenario(name: string, title: string, fault: Fault, expect: Expect, messageBytes: number, timeouts: Partial<Timeouts>): Scenario {
  return { id: `${SUITE}/${name}`, suite: SUITE, protocol: 'smtp', title, fault, expect, messageBytes, timeouts };
}

const scenarios: Scenario[] = [
  scenario('throttled-short-timeout', 't', { kind: 'throttle', bytesPerSecond: RATE * MiB, at: 'connect', toward: 'server' }, delivers, N * MiB, { socket: SHORT, deadline: 15_000 }),
  scenario('throttled-long-timeout', 't', { kind: 'throttle', bytesPerSecond: RATE * MiB, at: 'connect', toward: 'server' }, delivers, N * MiB, { socket: 10_000, deadline: 15_000 }),
  scenario('stall-mid-body', 't', { kind: 'stall', at: { after: 'DATA', bytes: MiB } }, fails, STALL_MIB * MiB, { socket: 2_000, deadline: 6_000 }),
  scenario('reply-552-then-close', 't', { kind: 'reply', code: 552, text: '5.3.4 Message size exceeds fixed maximum message size', at: { after: 'DATA', bytes: MiB }, then: 'close' }, fails, ERR_MIB * MiB, { socket: 2_000, deadline: 6_000 }),
  scenario('reply-552-then-reset', 't', { kind: 'reply', code: 552, text: '5.3.4 Message size exceeds fixed maximum message size', at: { after: 'DATA', bytes: MiB }, then: 'reset' }, fails, ERR_MIB * MiB, { socket: 2_000, deadline: 6_000 }),
];

export const large: Suite = { name: SUITE, protocol: 'smtp', description: 'large messages', scenarios };
