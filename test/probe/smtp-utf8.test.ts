/**
 * `smtp.smtputf8` and `smtp.8bitmime` against the mock (it takes a UTF-8 address without SMTPUTF8: warn;
 * 8BITMIME as it should: pass) and against a fake server written here, strict by default, with knobs
 * for each way of getting it wrong. Nothing is ever delivered: no DATA is sent.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { smtpUtf8Group, UTF8_LOCAL_PART } from '../../src/probe/smtp-utf8.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeLimits } from '../../src/probe/types.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** How the fake server answers; each default is what RFC 6531 and RFC 6152 ask for. */
interface Fake {
  /** EHLO keywords; default SMTPUTF8 and 8BITMIME. */
  readonly caps?: readonly string[];
  /** The reply to MAIL with SMTPUTF8; default 250. */
  readonly mailUtf8?: string;
  /** The reply to a non-ASCII RCPT after MAIL with SMTPUTF8; default 250. */
  readonly rcptWith?: string;
  /** The reply to a non-ASCII RCPT after MAIL without SMTPUTF8; default 553 with 5.6.7. */
  readonly rcptWithout?: string;
  /** The reply to MAIL with BODY=8BITMIME; default 250. */
  readonly body8?: string;
  /** The reply to MAIL with any other BODY value; default 555. */
  readonly bodyOther?: string;
}

/** Starts the fake server; returns its port and the command lines it read (decoded as UTF-8). */
async function fake(options: Fake = {}): Promise<{ port: number; lines: string[] }> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let utf8 = false;
    const answer = (line: string): string => {
      const verb = line.split(/[ :]/)[0]!.toUpperCase();
      if (verb === 'EHLO')
        return ['fake.test', ...(options.caps ?? ['SMTPUTF8', '8BITMIME'])].map((c, i, all) => `250${i < all.length - 1 ? '-' : ' '}${c}`).join('\r\n');
      if (verb === 'MAIL') {
        utf8 = / SMTPUTF8\b/i.test(line);
        if (utf8 && options.mailUtf8) return options.mailUtf8;
        const body = / BODY=(\S+)/i.exec(line)?.[1]?.toUpperCase();
        if (body === '8BITMIME') return options.body8 ?? '250 2.1.0 ok';
        if (body !== undefined && body !== '7BIT') return options.bodyOther ?? '555 5.5.4 Unsupported option: BODY';
        return '250 2.1.0 ok';
      }
      if (verb === 'RCPT' && /[^\x00-\x7f]/.test(line))
        return utf8 ? (options.rcptWith ?? '250 2.1.5 ok') : (options.rcptWithout ?? '553 5.6.7 Non-ASCII addresses not permitted for that recipient');
      if (verb === 'QUIT') return '221 bye';
      return '250 ok';
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let at = buffer.indexOf('\r\n'); at !== -1; at = buffer.indexOf('\r\n')) {
        const line = buffer.subarray(0, at).toString('utf8');
        buffer = buffer.subarray(at + 2);
        lines.push(line);
        const reply = answer(line);
        if (reply.startsWith('221')) socket.end(`${reply}\r\n`);
        else socket.write(`${reply}\r\n`);
      }
    });
    socket.write('220 fake.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, lines };
}

async function probe(options: Fake = {}, limits: ProbeLimits = FAST): Promise<{ utf8: Finding; bits: Finding; lines: string[] }> {
  const server = await fake(options);
  const [utf8, bits] = await smtpUtf8Group(parseTarget(`smtp://127.0.0.1:${server.port}`), limits);
  expect(server.lines).not.toContain('DATA');
  return { utf8: utf8!, bits: bits!, lines: server.lines };
}

const ADDRESS = `${UTF8_LOCAL_PART}@fake.test`;

describe('smtp.smtputf8', () => {
  it('warns on the mock, which takes a UTF-8 address without SMTPUTF8, and delivers nothing', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [utf8, bits] = await smtpUtf8Group(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(utf8).toMatchObject({ id: 'smtp.smtputf8', status: 'warn', rfc: 'RFC 6531 §3.1, §3.2, §3.4, §3.5; RFC 5321 §4.1.2' });
    expect(utf8!.advice).toMatch(
      /^RCPT TO:<wireprobe-δοκιμή@\S+> without SMTPUTF8 on MAIL got "250 Accepted": without the parameter a non-ASCII address MUST be refused/,
    );
    expect(utf8!.advice).toMatch(/Fine: with SMTPUTF8 on MAIL, RCPT TO:<wireprobe-δοκιμή@\S+> got "250 Accepted"\./);
    expect(utf8!.sent).toEqual(expect.arrayContaining(['MAIL FROM:<> SMTPUTF8', 'MAIL FROM:<>', 'RSET']));
    expect(bits).toMatchObject({ id: 'smtp.8bitmime', status: 'pass', rfc: 'RFC 6152 §2, §3; RFC 5321 §4.1.1.11' });
    await server.idle();
    expect(server.messages).toEqual([]);
  });

  it('passes a server that takes the UTF-8 address with SMTPUTF8 and refuses it with 553 without, sending UTF-8 octets', async () => {
    const { utf8, lines } = await probe();
    expect(utf8.status).toBe('pass');
    expect(utf8.advice).toBe(
      `With SMTPUTF8 on MAIL, RCPT TO:<${ADDRESS}> got "250 2.1.5 ok"; RCPT TO:<${ADDRESS}> without SMTPUTF8 on MAIL got "553 5.6.7 Non-ASCII addresses not permitted for that recipient", refused as it must be. (Each transaction was reset before DATA: nothing delivered.)`,
    );
    expect(lines).toEqual(expect.arrayContaining(['MAIL FROM:<> SMTPUTF8', `RCPT TO:<${ADDRESS}>`]));
    expect(utf8.sent).toContain(`RCPT TO:<${ADDRESS}>`);
  });

  it("puts the UTF-8 local part at --rcpt's domain when it has one", async () => {
    const { utf8, lines } = await probe({}, { ...FAST, rcpt: 'someone@example.org' });
    expect(utf8.status).toBe('pass');
    expect(lines).toContain(`RCPT TO:<${UTF8_LOCAL_PART}@example.org>`);
  });

  it('passes a recipient refused for policy after SMTPUTF8: its syntax was taken', async () => {
    const { utf8 } = await probe({ rcptWith: '550 5.1.1 User unknown' });
    expect(utf8.status).toBe('pass');
    expect(utf8.advice).toMatch(/got "550 5\.1\.1 User unknown", a refusal of the recipient, not of its UTF-8 syntax/);
  });

  it('fails a server that lists SMTPUTF8 but refuses the UTF-8 address as a mailbox name', async () => {
    const { utf8 } = await probe({ rcptWith: '553 5.6.7 Non-ASCII addresses not permitted' });
    expect(utf8.status).toBe('fail');
    expect(utf8.advice).toMatch(
      /^With SMTPUTF8 on MAIL, RCPT TO:<\S+> got "553 5\.6\.7 Non-ASCII addresses not permitted": a server announcing SMTPUTF8 MUST accept/,
    );
  });

  it('fails a server that lists SMTPUTF8 but refuses the parameter on MAIL', async () => {
    const { utf8 } = await probe({ mailUtf8: '555 5.5.4 Unsupported option: SMTPUTF8' });
    expect(utf8.status).toBe('fail');
    expect(utf8.advice).toMatch(/^MAIL FROM:<> SMTPUTF8 got "555 5\.5\.4 Unsupported option: SMTPUTF8": a server listing SMTPUTF8 takes the parameter/);
    expect(utf8.advice).toMatch(/Fine: RCPT TO:<\S+> without SMTPUTF8 on MAIL got "553 /);
  });

  it('fails SMTPUTF8 listed without 8BITMIME', async () => {
    const { utf8, bits } = await probe({ caps: ['SMTPUTF8'] });
    expect(utf8.status).toBe('fail');
    expect(utf8.advice).toMatch(/^SMTPUTF8 is listed without 8BITMIME: a server offering SMTPUTF8 MUST support and announce 8BITMIME \(RFC 6531 §3\.1\)/);
    expect(bits.status).toBe('skip');
  });

  it('skips a server that does not list SMTPUTF8, sending it nothing in UTF-8', async () => {
    const { utf8, lines } = await probe({ caps: ['8BITMIME'] });
    expect(utf8.status).toBe('skip');
    expect(utf8.advice).toMatch(/^Not checked: the EHLO reply does not list SMTPUTF8/);
    expect(lines.some((l) => /[^\x00-\x7f]/.test(l))).toBe(false);
  });
});

describe('smtp.8bitmime', () => {
  it('passes BODY=8BITMIME taken and BODY=BOGUS refused with 555', async () => {
    const { bits } = await probe();
    expect(bits.status).toBe('pass');
    expect(bits.advice).toBe(
      'MAIL FROM:<> BODY=8BITMIME got "250 2.1.0 ok"; MAIL FROM:<> BODY=BOGUS got "555 5.5.4 Unsupported option: BODY", refused. (Each transaction was reset before DATA: nothing delivered.)',
    );
  });

  it('warns on a server that takes BODY=BOGUS', async () => {
    const { bits } = await probe({ bodyOther: '250 2.1.0 ok' });
    expect(bits.status).toBe('warn');
    expect(bits.advice).toMatch(/^MAIL FROM:<> BODY=BOGUS got "250 2\.1\.0 ok", taken: BODY is 7BIT or 8BITMIME \(RFC 6152 §2\)/);
  });

  it('fails a server that lists 8BITMIME but refuses BODY=8BITMIME', async () => {
    const { bits } = await probe({ body8: '555 5.5.4 Unsupported option: BODY' });
    expect(bits.status).toBe('fail');
    expect(bits.advice).toMatch(/^MAIL FROM:<> BODY=8BITMIME got "555 5\.5\.4 Unsupported option: BODY": listing 8BITMIME promises/);
  });

  it('skips a server that does not list 8BITMIME', async () => {
    const { bits } = await probe({ caps: [] });
    expect(bits.status).toBe('skip');
    expect(bits.advice).toMatch(/^Not checked: the EHLO reply does not list 8BITMIME/);
  });
});
