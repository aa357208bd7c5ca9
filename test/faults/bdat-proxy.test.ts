/**
 * The BDAT triggers through the proxy: a raw client sends BDAT chunks (RFC 3030 §2) to a small server
 * that offers CHUNKING; each fault cuts exactly where its trigger says, and the transcript says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { startChunkingSmtp, type ChunkingServer } from '../helpers/chunking-smtp.js';
import { connectRaw, type RawClient } from '../helpers/raw-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(fault: string): Promise<{ server: ChunkingServer; proxy: ProxyHandle }> {
  const server = await startChunkingSmtp();
  cleanups.push(() => server.close());
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [parseFault(fault)] });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

const has = (s: string) => (text: string) => text.includes(s);

const ENVELOPE = 'EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n';

/** Greeting, then EHLO, MAIL and RCPT pipelined, up to the reply to RCPT. */
async function toChunks(port: number): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.until(has('220 '));
  client.send(ENVELOPE);
  await client.until(has('2.1.5'));
  return client;
}

/** Chunk data that would end DATA and holds command lines: BDAT must carry it as it is. */
const tricky = (n: number): Buffer => Buffer.concat([Buffer.from('\r\n.\r\nQUIT\r\n'), Buffer.alloc(n - 11, 0x62)]);
const CHUNK1 = tricky(60);
const CHUNK2 = tricky(80);
/** Two chunks, the second LAST, pipelined in one write. */
const MESSAGE = Buffer.concat([Buffer.from('BDAT 60\r\n'), CHUNK1, Buffer.from('BDAT 80 LAST\r\n'), CHUNK2]);

describe('BDAT faults through the proxy', () => {
  it('relays a two-chunk message untouched: one 250 per chunk, the message whole', async () => {
    const { server, proxy } = await setup('reset before reply to BDAT LAST connection 2');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    await client.until(has('queued'));
    expect(client.text()).toContain('250 2.0.0 chunk ok\r\n250 2.0.0 queued');
    expect(server.messages).toEqual([140]);
    expect(proxy.sessions()[0]).toMatchObject({ phase: 'bdat', accepted: 1, bodyBytes: 140 });
  });

  it('after BDAT +100 resets once 100 octets of chunk data, across both chunks, reached the server', async () => {
    const { server, proxy } = await setup('reset after BDAT +100');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    expect(await client.ended).toBe('rst');
    await proxy.idle();
    // The first chunk whole, the second chunk's command line and its first 40 octets.
    expect(server.received[0]!.toString('latin1')).toBe(
      `${ENVELOPE}BDAT 60\r\n${CHUNK1.toString('latin1')}BDAT 80 LAST\r\n${CHUNK2.subarray(0, 40).toString('latin1')}`,
    );
    expect(server.messages).toEqual([]);
    const [session] = proxy.sessions();
    expect(session).toMatchObject({ phase: 'bdat', bodyBytes: 100, faultFired: true });
    expect(session?.transcript.join('\n')).toMatch(/C {2}BDAT 80 LAST\n.*C {2}\[message body: 80 bytes\]\n.*!! fault fired: reset after BDAT \+100\n/);
  });

  it('after BDAT +100 cuts at the same octet when the client writes in 7-octet pieces', async () => {
    const { server, proxy } = await setup('close after BDAT +100');
    const client = await toChunks(proxy.port);
    for (let i = 0; i < MESSAGE.length; i += 7) client.send(MESSAGE.subarray(i, i + 7));
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(server.received[0]!.length).toBe(ENVELOPE.length + 'BDAT 60\r\n'.length + 60 + 'BDAT 80 LAST\r\n'.length + 40);
  });

  it('after DATA +n never fires on a BDAT client', async () => {
    const { server, proxy } = await setup('reset after DATA +10');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    await client.until(has('queued'));
    expect(server.messages).toEqual([140]);
    expect(proxy.fired()).toEqual([false]);
  });

  it('before BDAT holds the first chunk command: the server gets nothing of the message', async () => {
    const { server, proxy } = await setup('close before BDAT');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(server.received[0]!.toString('latin1')).toBe(ENVELOPE);
    expect(proxy.sessions()[0]?.transcript.join('\n')).toMatch(/C {2}BDAT 60\n[\s\S]*!! fault fired: close before BDAT\n/);
  });

  it('before BDAT LAST lets the first chunk through and holds the last one', async () => {
    const { server, proxy } = await setup('reset before BDAT LAST');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    expect(await client.ended).toBe('rst');
    await proxy.idle();
    expect(server.received[0]!.toString('latin1')).toBe(`${ENVELOPE}BDAT 60\r\n${CHUNK1.toString('latin1')}`);
    expect(server.messages).toEqual([]);
  });

  it("before reply to BDAT LAST replaces the message's 250 while the server holds the message", async () => {
    const { server, proxy } = await setup('reply 451 "4.3.0 try again" before reply to BDAT LAST then close');
    const client = await toChunks(proxy.port);
    client.send(MESSAGE);
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(server.messages).toEqual([140]);
    expect(client.text()).toContain('250 2.0.0 chunk ok\r\n451 4.3.0 try again\r\n');
    expect(client.text()).not.toContain('queued');
    const transcript = proxy.sessions()[0]?.transcript.join('\n') ?? '';
    expect(transcript).toMatch(/S {2}250 2\.0\.0 queued\n.*!! fault fired: reply 451 "4\.3\.0 try again" before reply to BDAT LAST then close\n/);
    expect(proxy.sessions()[0]).toMatchObject({ accepted: 0, lastReply: 451 });
  });
});
