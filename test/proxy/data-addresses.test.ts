/**
 * DataAddresses with a blackholed dataport: the port is opened as the session starts, not when the 229
 * is due, so the reply is not held while a worker starts (a held 229 let basic-ftp's control timer beat
 * its data connect timer under load). Socket-free: a stand-in opener records what was asked, and when.
 */
import { describe, expect, it } from 'vitest';
import type { Link } from '../../src/faults/link.js';
import { parseFault } from '../../src/faults/parse.js';
import type { Blackhole } from '../../src/proxy/blackhole.js';
import { DataAddresses } from '../../src/proxy/data-addresses.js';
import { DataArming } from '../../src/proxy/data-arming.js';
import { Transcript } from '../../src/proxy/transcript.js';

const nothing = (): void => undefined;
const control: Link = { inject: nothing, reset: nothing, close: nothing, hold: nothing, swallow: nothing, shape: nothing };

/** A stand-in for openBlackhole: each host asked gets a port of its own, opened when the test says. */
function opener() {
  const asked: string[] = [];
  // Blackhole.close is idempotent (stop and settled both call it): what counts is which were closed.
  const closed = new Set<number>();
  const pending: (() => void)[] = [];
  const open = (host: string): Promise<Blackhole> => {
    asked.push(host);
    const port = 40_000 + asked.length;
    const blackhole: Blackhole = { host, port, close: async () => void closed.add(port) };
    return new Promise((resolve) => pending.push(() => resolve(blackhole)));
  };
  const finish = (): void => {
    for (const resolve of pending.splice(0)) resolve();
  };
  return { open, asked, closed, finish };
}

function addresses(faultText: string | undefined, serverFacingHost?: string) {
  const transcript = new Transcript(0, 1);
  const faults = faultText === undefined ? [] : [parseFault(faultText)];
  const arming = new DataArming({ faults, fire: () => true, transcript, control });
  const stub = opener();
  const data = new DataAddresses({
    host: '127.0.0.1',
    ...(serverFacingHost === undefined ? {} : { serverFacingHost }),
    transcript,
    arming,
    accept: nothing,
    openBlackhole: stub.open,
  });
  return { data, stub };
}

const target = { host: '127.0.0.1', port: 2100 };
const epsv = (_host: string, port: number): string => `229 EPSV OK (|||${port}|)`;
const pasv = (_host: string, port: number): string => `227 PASV OK (127,0,0,1,${port >> 8},${port & 255})`;

describe('DataAddresses, blackholed', () => {
  it('opens the blackhole as the session starts, and names that one port in every data address', async () => {
    const { data, stub } = addresses('dataport blackholed');
    // Asked before any reply was due: the opening overlaps the client's login.
    expect(stub.asked).toEqual(['127.0.0.1']);
    const first = data.interpose('passive', target, epsv, false);
    stub.finish();
    expect((await first).toString('latin1')).toBe('229 EPSV OK (|||40001|)\r\n');
    expect((await data.interpose('passive', target, pasv)).toString('latin1')).toBe('227 PASV OK (127,0,0,1,156,65)\r\n');
    expect(stub.asked).toEqual(['127.0.0.1']);
    data.stop();
    await data.settled();
    expect([...stub.closed]).toEqual([40001]);
  });

  it('opens one for the server-facing host too when it differs (active mode names that one)', async () => {
    const { data, stub } = addresses('dataport blackholed', '127.0.0.5');
    expect(stub.asked).toEqual(['127.0.0.1', '127.0.0.5']);
    stub.finish();
    const eprt = (_host: string, port: number): string => `EPRT |1|127.0.0.5|${port}|`;
    expect((await data.interpose('active', target, eprt)).toString('latin1')).toBe('EPRT |1|127.0.0.5|40002|\r\n');
    data.stop();
    await data.settled();
    expect([...stub.closed].sort()).toEqual([40001, 40002]);
  });

  it('closes a blackhole still opening when the session stops', async () => {
    const { data, stub } = addresses('dataport blackholed');
    data.stop();
    const settled = data.settled();
    stub.finish();
    await settled;
    expect([...stub.closed]).toEqual([40001]);
  });

  it('opens nothing ahead for another dataport fault, or none', () => {
    for (const fault of ['dataport refused', 'dataport wrong-address', undefined]) {
      expect(addresses(fault).stub.asked).toEqual([]);
    }
  });
});
