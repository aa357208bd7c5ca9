/**
 * ReplyWait: the server's longest silence while it owed the client something, with the times given, and
 * the proxy's record of it for a server that answers late or never greets.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startProxy } from '../../src/proxy/proxy.js';
import { ReplyWait } from '../../src/proxy/reply-wait.js';

describe('ReplyWait', () => {
  it('times a reply from its command to the server’s next octets', () => {
    const wait = new ReplyWait();
    wait.asked(100);
    expect(wait.longestMs(350)).toBe(250);
    wait.heard(400, [{ preliminary: false }]);
    expect(wait.longestMs(5000)).toBe(300);
  });

  it('counts nothing while nothing is owed, and a silence going on up to now', () => {
    const wait = new ReplyWait();
    wait.heard(50);
    expect(wait.longestMs(1000)).toBe(0);
    wait.asked(1000);
    wait.heard(1010, [{ preliminary: false }]);
    wait.asked(2000);
    expect(wait.longestMs(2600)).toBe(600);
  });

  it('times pipelined steps in order: the wait for the second begins at the first reply', () => {
    const wait = new ReplyWait();
    wait.asked(0); // MAIL
    wait.asked(0); // RCPT, in the same write
    wait.heard(10, [{ preliminary: false }]); // 250 to MAIL
    wait.heard(1510, [{ preliminary: false }]); // 250 to RCPT, 1.5 s on
    expect(wait.longestMs(9999)).toBe(1500);
  });

  it('ends a silence at part of a reply, and goes on while the reply is still owed', () => {
    const wait = new ReplyWait();
    wait.asked(0);
    wait.heard(100); // "250-first line" only
    expect(wait.longestMs(900)).toBe(800);
  });

  it('takes an FTP 1xx as the answer for now: the transfer that follows is not a silence', () => {
    const wait = new ReplyWait();
    wait.asked(0); // STOR
    wait.heard(5, [{ preliminary: true }]); // 150
    expect(wait.longestMs(60_000)).toBe(5);
    wait.heard(60_000, [{ preliminary: false }]); // 226, a minute on
    wait.asked(60_010); // QUIT
    wait.heard(60_020, [{ preliminary: false }]);
    expect(wait.longestMs(70_000)).toBe(10);
  });

  it('stops at the first close: nobody waits any more', () => {
    const wait = new ReplyWait();
    wait.asked(0);
    wait.ended(700);
    wait.asked(800);
    expect(wait.longestMs(10_000)).toBe(700);
  });
});

describe('the proxy’s record of the server’s silences', () => {
  it('records the wait for a reply the server sends late, and the greeting it never sends', async () => {
    const LATE_MS = 300;
    // Greets at once on the first connection and answers NOOP LATE_MS later; never greets on the second.
    let accepted = 0;
    const server = net.createServer((socket) => {
      if (++accepted > 1) return void socket.on('error', () => undefined);
      socket.write('220 ready\r\n');
      socket.on('data', () => setTimeout(() => socket.write('250 ok\r\n'), LATE_MS));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, protocol: 'smtp' });
    try {
      const talk = net.connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => talk.once('data', resolve));
      talk.write('NOOP\r\n');
      await new Promise((resolve) => talk.once('data', resolve));
      talk.end();
      await new Promise((resolve) => talk.once('close', resolve));
      const mute = net.connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => mute.once('connect', resolve));
      await new Promise((resolve) => setTimeout(resolve, LATE_MS));
      mute.end();
      await new Promise((resolve) => mute.once('close', resolve));
      await proxy.idle();
      const [answered, ungreeted] = proxy.sessions();
      // Lower bounds only: the server's own timer held the reply at least that long (less a timer's tick).
      expect(answered!.replyWaitMs).toBeGreaterThanOrEqual(LATE_MS - 2);
      expect(answered!.greetedAfterMs).toBeDefined();
      expect(ungreeted!.greetedAfterMs).toBeUndefined();
      // (The relay begins once the proxy has reached the server, after the client's connect.)
      expect(ungreeted!.greetingWaitMs).toBeGreaterThanOrEqual(LATE_MS / 2);
      expect(ungreeted!.replyWaitMs).toBe(0);
      // Closed: the record no longer grows.
      const frozen = ungreeted!.greetingWaitMs;
      await new Promise((resolve) => setImmediate(resolve));
      expect(proxy.sessions()[1]!.greetingWaitMs).toBe(frozen);
    } finally {
      await proxy.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
