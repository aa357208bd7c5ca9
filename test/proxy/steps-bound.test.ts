import { afterEach, describe, expect, it } from 'vitest';
import { MAX_OTHER_STEPS, Steps } from '../../src/protocol/conversation.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';

/** A made-up verb per number, letters only as a verb is: ZA, ZB, ..., ZBA... */
const madeUp = (n: number): string => `Z${n.toString(26).replace(/./g, (d) => String.fromCharCode(65 + Number.parseInt(d, 26)))}`;

describe('Steps', () => {
  it('keeps every step the protocols define, and the first MAX_OTHER_STEPS others once each', () => {
    const steps = new Steps();
    steps.add('EHLO');
    for (let i = 0; i < 1000; i++) steps.add(madeUp(i));
    steps.add(madeUp(0));
    for (const step of ['QUIT', 'AUTH', 'PASS', 'STOR', 'dot', 'BDAT', 'STARTTLS']) steps.add(step);
    const others = Array.from({ length: MAX_OTHER_STEPS }, (_, i) => madeUp(i));
    expect([...steps]).toEqual(['EHLO', ...others, 'QUIT', 'AUTH', 'PASS', 'STOR', 'dot', 'BDAT', 'STARTTLS']);
  });
});

describe('a session whose client makes up a verb per line', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the first made-up verbs and every defined one sent after them', async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [] });
    cleanups.push(() => proxy.close());
    const client = await connectRaw(proxy.port);
    await client.until((text) => text.includes('220 '));
    const junk = Array.from({ length: 500 }, (_, i) => madeUp(i));
    for (const [i, verb] of junk.entries()) {
      client.send(`${verb} x\r\n`);
      await client.until((text) => text.split('500 unknown').length > i + 1);
    }
    client.send('NOOP\r\n');
    await client.until((text) => text.includes('250 ok'));
    client.send('QUIT\r\n');
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    const [session] = proxy.sessions();
    expect(session?.steps).toEqual([...junk.slice(0, MAX_OTHER_STEPS), 'NOOP', 'QUIT']);
    expect(session?.clearSteps).toEqual([...junk.slice(0, MAX_OTHER_STEPS), 'NOOP', 'QUIT']);
  });
});
