/**
 * The control API's HTTP layer against stand-in mocks (fake-mock.ts): routes, bodies, what reaches
 * arm/plan/disarm, and every error answer with its status and code.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlServer, startControl } from '../../src/control/control.js';
import { WireprobeError } from '../../src/util/errors.js';
import { fakeFtp, fakeMessage, fakeSmtp, fakeUpload } from './fake-mock.js';

const open: ControlServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function control(mock: Parameters<typeof startControl>[0], options?: Parameters<typeof startControl>[1]): Promise<ControlServer> {
  const c = await startControl(mock, options);
  open.push(c);
  return c;
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The error answer's status and code. */
async function failure(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}

describe('the control API over an SMTP mock', () => {
  it('answers /health with the protocol and the URL clients connect to', async () => {
    const c = await control(fakeSmtp());
    expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${c.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, protocol: 'smtp', url: 'smtp://127.0.0.1:2525' });
  });

  it('arms a fault in the short syntax with its connection and a regex match, and answers 201 with it', async () => {
    const mock = fakeSmtp();
    const c = await control(mock);
    const res = await post(`${c.url}/faults`, { fault: 'reset after data +64KiB', connection: 2, match: { rcpt: { regex: '@t42$', flags: 'i' } } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ fault: 'reset after DATA +64KiB', connection: 2, match: { rcpt: { regex: '@t42$', flags: 'i' } } });
    expect(mock.calls).toEqual([
      { op: 'arm', fault: { kind: 'reset', at: { after: 'DATA', bytes: 65536 } }, options: { connection: 2, match: { rcpt: /@t42$/i } } },
    ]);
  });

  it('arms a fault in its object form', async () => {
    const mock = fakeSmtp();
    const c = await control(mock);
    const res = await post(`${c.url}/faults`, { fault: { kind: 'reply', code: 451, at: { before: 'RCPT' } }, match: { from: 'a@b.test' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ fault: 'reply 451 before RCPT', match: { from: 'a@b.test' } });
    expect(mock.calls).toEqual([{ op: 'arm', fault: { kind: 'reply', code: 451, at: { before: 'RCPT' } }, options: { match: { from: 'a@b.test' } } }]);
  });

  it('plans one fault per connection, pass included', async () => {
    const mock = fakeSmtp();
    const c = await control(mock);
    const res = await post(`${c.url}/faults`, { plan: ['reply 451 before RCPT', 'pass', { kind: 'close', at: 'connect' }] });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ plan: ['reply 451 before RCPT', 'pass', 'close on connect'] });
    expect(mock.calls).toEqual([
      { op: 'plan', faults: [{ kind: 'reply', code: 451, at: { before: 'RCPT' } }, 'pass', { kind: 'close', at: 'connect' }], match: undefined },
    ]);
  });

  it('disarms with DELETE /faults (204)', async () => {
    const mock = fakeSmtp();
    const c = await control(mock);
    const res = await fetch(`${c.url}/faults`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(mock.calls).toEqual([{ op: 'disarm' }]);
  });

  it('lists messages with their hashes, serves each raw, and clears them', async () => {
    const mock = fakeSmtp();
    mock.messages.push(fakeMessage('a@b.test', ['c@d.test'], 'Subject: hi\r\n\r\nbody\r\n', 3));
    const c = await control(mock);
    const list = (await (await fetch(`${c.url}/messages`)).json()) as unknown[];
    expect(list).toEqual([{ n: 1, from: 'a@b.test', to: ['c@d.test'], bytes: 21, sha256: mock.messages[0]!.sha256, session: 3 }]);
    expect(await (await fetch(`${c.url}/messages/1`)).json()).toEqual(list[0]);
    const raw = await fetch(`${c.url}/messages/1/raw`);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(await raw.text()).toBe('Subject: hi\r\n\r\nbody\r\n');
    expect((await fetch(`${c.url}/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${c.url}/messages`)).json()).toEqual([]);
  });

  it('lists sessions as plain records', async () => {
    const mock = fakeSmtp();
    const session = {
      index: 1,
      phase: 'data',
      transcript: ['S: 220 hi'],
      faultsFired: ['reset after DATA +64KiB'],
      ended: { by: 'proxy' as const, how: 'rst' as const },
    };
    mock.sessions.push(session);
    const c = await control(mock);
    expect(await (await fetch(`${c.url}/sessions`)).json()).toEqual([session]);
  });
});

describe('the control API over an FTP mock', () => {
  it('lists uploads with path, completeness and octets received, and serves each raw', async () => {
    const mock = fakeFtp();
    mock.uploads.push(fakeUpload('/in/a.bin', 'abc', false));
    const c = await control(mock);
    expect(await (await fetch(`${c.url}/health`)).json()).toEqual({ ok: true, protocol: 'ftp', url: 'ftp://127.0.0.1:2525' });
    expect(await (await fetch(`${c.url}/uploads`)).json()).toEqual([
      { n: 1, path: '/in/a.bin', bytes: 3, sha256: mock.uploads[0]!.sha256, received: 3, complete: false, session: 1 },
    ]);
    const raw = await fetch(`${c.url}/uploads/1/raw`);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(await raw.text()).toBe('abc');
    expect((await fetch(`${c.url}/uploads`, { method: 'DELETE' })).status).toBe(204);
    expect(mock.calls).toEqual([{ op: 'clear' }]);
  });

  it('arms a data-channel fault matched by path', async () => {
    const mock = fakeFtp();
    const c = await control(mock);
    const res = await post(`${c.url}/faults`, { fault: 'reset after STOR +1MiB channel data', match: { path: { regex: '\\.bin$' } } });
    expect(res.status).toBe(201);
    expect(mock.calls).toEqual([
      { op: 'arm', fault: { kind: 'reset', at: { after: 'STOR', bytes: 1048576 }, channel: 'data' }, options: { match: { path: /\.bin$/ } } },
    ]);
  });
});

/** [what, how to ask, status, code, what the message names]. */
const BAD: readonly (readonly [string, (url: string) => Promise<Response>, number, string, RegExp])[] = [
  ['a body that is not JSON', (u) => post(`${u}/faults`, '{"fault": '), 400, 'EBADREQUEST', /not JSON/],
  ['an empty body', (u) => post(`${u}/faults`, ''), 400, 'EBADREQUEST', /empty/],
  ['a body that is not an object', (u) => post(`${u}/faults`, '["reset"]'), 400, 'EBADREQUEST', /JSON object/],
  ['an unknown field', (u) => post(`${u}/faults`, { fault: 'close on connect', times: 2 }), 400, 'EBADREQUEST', /unknown field "times"/],
  ['both fault and plan', (u) => post(`${u}/faults`, { fault: 'close on connect', plan: ['pass'] }), 400, 'EBADREQUEST', /exactly one of "fault"/],
  ['neither fault nor plan', (u) => post(`${u}/faults`, { connection: 1 }), 400, 'EBADREQUEST', /exactly one of "fault"/],
  ['a plan with a connection', (u) => post(`${u}/faults`, { plan: ['pass'], connection: 1 }), 400, 'EBADREQUEST', /"connection" does not apply/],
  ['an empty plan', (u) => post(`${u}/faults`, { plan: [] }), 400, 'EBADREQUEST', /non-empty array/],
  ['connection 0', (u) => post(`${u}/faults`, { fault: 'close on connect', connection: 0 }), 400, 'EBADREQUEST', /bad connection "0"/],
  ['a bad fault string', (u) => post(`${u}/faults`, { fault: 'reset aftr DATA' }), 400, 'EFAULTSYNTAX', /bad fault "reset aftr DATA"/],
  ['a bad fault in a plan', (u) => post(`${u}/faults`, { plan: ['pass', 'explode'] }), 400, 'EFAULTSYNTAX', /^plan entry 2: bad fault "explode"/],
  [
    'a plan entry of no fault form',
    (u) => post(`${u}/faults`, { plan: ['pass', 'pass', 3] }),
    400,
    'EFAULTSYNTAX',
    /^plan entry 3: bad fault: expected the short syntax/,
  ],
  ['a fault object of no kind', (u) => post(`${u}/faults`, { fault: { kind: 'explode', at: 'connect' } }), 400, 'EFAULTSYNTAX', /kind "explode" is not one of/],
  [
    'a fault object with a stray field',
    (u) => post(`${u}/faults`, { fault: { kind: 'reset', at: 'connect', code: 5 } }),
    400,
    'EFAULTSYNTAX',
    /field "code" unknown/,
  ],
  ['a fault that is a number', (u) => post(`${u}/faults`, { fault: 7 }), 400, 'EFAULTSYNTAX', /expected the short syntax/],
  ['an FTP-only fault on SMTP', (u) => post(`${u}/faults`, { fault: 'reset after STOR +1MiB channel data' }), 400, 'EFAULTSYNTAX', /FTP only/],
  [
    'a trigger on an FTP command on SMTP',
    (u) => post(`${u}/faults`, { fault: 'close before RETR' }),
    400,
    'EFAULTSYNTAX',
    /RETR is FTP only and can never fire on an SMTP server/,
  ],
  [
    'a match field of the other protocol',
    (u) => post(`${u}/faults`, { fault: 'close on connect', match: { path: 'x' } }),
    400,
    'EBADREQUEST',
    /unknown field "path" \(it applies to FTP/,
  ],
  ['an empty match', (u) => post(`${u}/faults`, { fault: 'close on connect', match: {} }), 400, 'EBADREQUEST', /bad match: empty/],
  [
    'a bad regex',
    (u) => post(`${u}/faults`, { fault: 'close on connect', match: { rcpt: { regex: '(' } } }),
    400,
    'EBADREQUEST',
    /bad match\.rcpt\.regex "\("/,
  ],
  [
    'a stateful regex flag',
    (u) => post(`${u}/faults`, { fault: 'close on connect', match: { rcpt: { regex: 'a', flags: 'g' } } }),
    400,
    'EBADREQUEST',
    /flags "g"/,
  ],
  ['a body not declared JSON', (u) => fetch(`${u}/faults`, { method: 'POST', body: '{"fault":"reset"}' }), 415, 'EMEDIATYPE', /application\/json/],
  ['a body over the cap', (u) => post(`${u}/faults`, { fault: 'x'.repeat(70_000) }), 413, 'ETOOLARGE', /over the cap of 65536/],
  ['an unknown route', (u) => fetch(`${u}/toxics`), 404, 'ENOTFOUND', /no route "GET \/toxics"/],
  ["the other protocol's route", (u) => fetch(`${u}/uploads`), 404, 'ENOTFOUND', /no \/uploads on an SMTP server/],
  ['a message that is not there', (u) => fetch(`${u}/messages/3/raw`), 404, 'ENOTFOUND', /no message 3 \(there are 0/],
  ['a message number that is not a number', (u) => fetch(`${u}/messages/first`), 404, 'ENOTFOUND', /no message first/],
  ['a wrong method', (u) => fetch(`${u}/faults`, { method: 'PUT' }), 405, 'EMETHOD', /PUT is not allowed on \/faults \(allowed: POST, DELETE\)/],
];

describe('bad requests', () => {
  it.each(BAD)('answers %s with its status and code', async (_what, ask, status, code, message) => {
    const mock = fakeSmtp();
    const c = await control(mock);
    const answer = await failure(await ask(c.url));
    expect(answer).toMatchObject({ status, code });
    expect(answer.message).toMatch(message);
    expect(answer.message).not.toContain('\n');
    expect(answer.message.length).toBeLessThanOrEqual(300);
    expect(mock.calls).toEqual([]);
  });

  it('names the allowed methods in the Allow header of a 405', async () => {
    const c = await control(fakeSmtp());
    const res = await fetch(`${c.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE');
  });

  it("answers 400 with the library's code when the mock refuses what it is asked to arm", async () => {
    const mock = fakeSmtp();
    mock.failNext = new WireprobeError('connection 3 has already ended', 'EUSAGE');
    const c = await control(mock);
    expect(await failure(await post(`${c.url}/faults`, { fault: 'close on connect', connection: 3 }))).toEqual({
      status: 400,
      code: 'EBADREQUEST',
      message: 'connection 3 has already ended',
    });
  });

  it('answers 500 with one line when the mock fails on its own', async () => {
    const mock = fakeSmtp();
    mock.failNext = new Error('boom\nat somewhere');
    const c = await control(mock);
    expect(await failure(await post(`${c.url}/faults`, { fault: 'close on connect' }))).toEqual({
      status: 500,
      code: 'EINTERNAL',
      message: "wireprobe's own failure: boom at somewhere",
    });
  });

  it('listens on IPv6 loopback with the address bracketed in its URL, and takes its own Host', async () => {
    const c = await control(fakeSmtp(), { host: '::1' });
    expect(c.url).toBe(`http://[::1]:${c.port}`);
    expect((await fetch(`${c.url}/health`)).status).toBe(200);
  });

  it('refuses a request addressed to a name that is not loopback (DNS rebinding)', async () => {
    const c = await control(fakeSmtp());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${c.url}/messages`, { headers: { host: `attacker.example:${c.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
