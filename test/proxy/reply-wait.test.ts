/**
 * ReplyWait: what the server left the client waiting for, with the times given; and the proxy's record
 * of it for a server that answers late and one that never greets.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startProxy } from '../../src/proxy/proxy.js';
import { DataWait, ReplyWait } from '../../src/proxy/reply-wait.js';

const FINAL = [{ preliminary: false }];
const PRELIMINARY = [{ preliminary: true }];

describe('ReplyWait', () => {
  it('waits for the greeting from the start, then for a reply from its step', () => {
    const wait = new ReplyWait(0);
    expect(wait.waiting(700)).toEqual({ for: 'greeting', ms: 700 });
    wait.heard(800); // the greeting (not a reply to a step)
    expect(wait.waiting(900)).toBeUndefined();
    wait.asked(1000, 'NOOP', true);
    expect(wait.waiting(1600)).toEqual({ for: 'reply', ms: 600, step: 'NOOP' });
    wait.heard(1700, FINAL);
    expect(wait.waiting(9000)).toBeUndefined();
  });

  it('times pipelined steps in order: the wait for the second begins at the reply to the first', () => {
    const wait = new ReplyWait(0);
    wait.heard(1);
    wait.asked(10, 'MAIL', true); // MAIL
    wait.asked(10, 'RCPT', true); // RCPT, in the same write
    wait.heard(20, FINAL); // 250 to MAIL
    expect(wait.waiting(1520)).toEqual({ for: 'reply', ms: 1500, step: 'RCPT' });
  });

  it('ends a silence at part of a reply, and goes on while the reply is still owed', () => {
    const wait = new ReplyWait(0);
    wait.heard(1);
    wait.asked(10, 'NOOP', true);
    wait.heard(100); // "250-first line" only
    expect(wait.waiting(900)).toEqual({ for: 'reply', ms: 800, step: 'NOOP' });
  });

  it('keeps what was waited for at the first close, and nothing after it', () => {
    const wait = new ReplyWait(0);
    wait.heard(1);
    wait.asked(100, 'NOOP', true);
    wait.closed(800);
    wait.heard(900, FINAL);
    wait.asked(1000, 'NOOP', true);
    expect(wait.waiting(10_000)).toEqual({ for: 'reply', ms: 700, step: 'NOOP' });
    const answered = new ReplyWait(0);
    answered.heard(1);
    answered.closed(5000);
    expect(answered.waiting(10_000)).toBeUndefined();
  });

  it('does not time a transfer command, nor what the client sends behind it, nor after its 1xx', () => {
    const wait = new ReplyWait(0);
    wait.heard(1);
    wait.asked(10, 'STOR', false); // STOR: the server may wait for the data connection
    expect(wait.waiting(5000)).toBeUndefined();
    wait.asked(20, 'NOOP', true); // a NOOP behind it: the server may read it only after the transfer
    wait.heard(6000, PRELIMINARY); // 150 to STOR
    expect(wait.waiting(60_000)).toBeUndefined();
    wait.heard(60_000, FINAL); // 226
    expect(wait.waiting(61_000)).toBeUndefined();
    wait.heard(61_000, FINAL); // 200 to the NOOP
    wait.asked(62_000, 'QUIT', true); // QUIT: timed again
    expect(wait.waiting(62_500)).toEqual({ for: 'reply', ms: 500, step: 'QUIT' });
  });

  it('takes a 1xx to a timed step as its answer for now', () => {
    const wait = new ReplyWait(0);
    wait.heard(1);
    wait.asked(10, 'NOOP', true);
    wait.heard(20, PRELIMINARY);
    expect(wait.waiting(60_000)).toBeUndefined();
    wait.heard(60_000, FINAL);
    wait.asked(60_010, 'NOOP', true);
    expect(wait.waiting(60_110)).toEqual({ for: 'reply', ms: 100, step: 'NOOP' });
  });
});

describe('DataWait', () => {
  it("times a download from its transfer command to the octets passed on to the client, until the server's end of file", () => {
    const wait = new DataWait();
    expect(wait.silence(500)).toBeUndefined(); // opened before RETR: nothing owed yet
    wait.asked(1000, 'server');
    expect(wait.silence(1400)).toBe(400);
    wait.passedOn(1500);
    expect(wait.silence(3500)).toBe(2000);
    expect(wait.silence(3500, true)).toBeUndefined(); // the proxy holds octets the client has not taken
    wait.senderDone(); // the server's FIN (or RST) came: it owes no more octets
    expect(wait.silence(9000)).toBeUndefined();
    expect(wait.endedAt).toBeUndefined();
    wait.ended(9100, 'client'); // its FIN passed on to the client: the data is complete
    expect(wait.endedAt).toBe(9100);
  });

  it('keeps the silence at the first close, and nothing after it', () => {
    const wait = new DataWait();
    wait.asked(0, 'server');
    wait.passedOn(100);
    wait.closed(2100, false);
    wait.passedOn(2200);
    expect(wait.silence(10_000)).toBe(2000);
    const behind = new DataWait(); // the client had octets it had not taken when it closed
    behind.asked(0, 'server');
    behind.closed(3000, true);
    expect(behind.silence(10_000)).toBeUndefined();
    const done = new DataWait();
    done.asked(0, 'server');
    done.senderDone();
    done.closed(5000, false);
    expect(done.silence(10_000)).toBeUndefined();
  });

  it("never times an upload's octets, and completes it with the client's end of file passed on to the server", () => {
    const wait = new DataWait();
    wait.asked(0, 'client');
    expect(wait.silence(5000)).toBeUndefined();
    wait.ended(5000, 'client'); // not the sender's end of file: the server's, toward the client
    expect(wait.endedAt).toBeUndefined();
    wait.ended(6000, 'server');
    expect(wait.endedAt).toBe(6000);
    const unasked = new DataWait(); // no transfer command seen: neither end completes anything
    unasked.ended(1, 'server');
    expect(unasked.endedAt).toBeUndefined();
  });
});

describe('the proxy’s record of what the server left the client waiting for', () => {
  it('records a reply never sent, while open and at the first close, and a greeting never sent', async () => {
    const LATE_MS = 300;
    // Greets at once on the first connection and never answers NOOP; never greets on the second.
    let accepted = 0;
    const server = net.createServer((socket) => {
      // Reads (and drops) what comes, so it sees the client's FIN and closes in turn.
      socket.on('error', () => undefined).resume();
      if (++accepted === 1) socket.write('220 ready\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, protocol: 'smtp' });
    try {
      const talk = net.connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => talk.once('data', resolve));
      talk.write('NOOP\r\n');
      await new Promise((resolve) => setTimeout(resolve, LATE_MS));
      const mute = net.connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => mute.once('connect', resolve));
      await new Promise((resolve) => setTimeout(resolve, LATE_MS));
      const [open] = proxy.sessions();
      // Lower bounds only: the client waited at least that long (less a timer's tick).
      expect(open!.waiting!.for).toBe('reply');
      expect(open!.waiting!.ms).toBeGreaterThanOrEqual(2 * LATE_MS - 2);
      for (const socket of [talk, mute]) socket.end();
      await proxy.idle();
      const [unanswered, ungreeted] = proxy.sessions();
      expect(unanswered!.greetedAfterMs).toBeDefined();
      expect(unanswered!.waiting!.for).toBe('reply');
      expect(unanswered!.waiting!.ms).toBeGreaterThanOrEqual(2 * LATE_MS - 2);
      expect(ungreeted!.greetedAfterMs).toBeUndefined();
      expect(ungreeted!.waiting!.for).toBe('greeting');
      // (The relay begins once the proxy has reached the server, after the client's connect.)
      expect(ungreeted!.waiting!.ms).toBeGreaterThanOrEqual(LATE_MS / 2);
    } finally {
      await proxy.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
