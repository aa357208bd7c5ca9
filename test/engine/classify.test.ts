import { describe, expect, it } from 'vitest';
import type { ClientError } from '../../src/clients/types.js';
import { classify, type Wire } from '../../src/engine/classify.js';

const failed = (error: Omit<ClientError, 'message'>) => ({ ok: false as const, error: { message: 'irrelevant text', ...error } });

describe('classify', () => {
  const rst: Wire = { clientSaw: 'rst', lastReply: 354 };
  const fin: Wire = { clientSaw: 'fin', lastReply: 250 };
  const open: Wire = { clientSaw: null, lastReply: 220 };
  const rejected: Wire = { clientSaw: 'fin', lastReply: 552 };
  it.each([
    ['nodemailer', 'a socket error over ECONNRESET', { code: 'ESOCKET', cause: 'ECONNRESET', command: 'CONN' }, fin, { kind: 'reset' }],
    ['nodemailer', 'a write into a reset connection (EPIPE)', { code: 'ESOCKET', cause: 'EPIPE' }, fin, { kind: 'reset' }],
    ['nodemailer', 'an aborted connection (ECONNABORTED, 10053)', { cause: 'ECONNABORTED' }, fin, { kind: 'reset' }],
    ['nodemailer', 'a connection closed unexpectedly (FIN)', { code: 'ECONNECTION', command: 'CONN' }, fin, { kind: 'closed' }],
    ['nodemailer', 'a refused connection', { code: 'ESOCKET', cause: 'ECONNREFUSED' }, undefined, { kind: 'refused', phase: 'connect' }],
    ['nodemailer', 'a greeting timeout', { code: 'ETIMEDOUT', command: 'CONN' }, open, { kind: 'timeout' }],
    ['nodemailer', 'a timeout reported only underneath', { code: 'ESOCKET', cause: 'ETIMEDOUT' }, open, { kind: 'timeout' }],
    ['nodemailer', 'a 552 after the dot', { code: 'EMESSAGE', responseCode: 552, command: 'DATA' }, fin, { kind: 'reply', code: 552 }],
    ['nodemailer', 'a 421 at the greeting, even with a connection code', { code: 'ECONNECTION', responseCode: 421 }, fin, { kind: 'reply', code: 421 }],
    ['nodemailer', 'an error with no code over a connection left open', {}, open, { kind: 'timeout' }],
    ['curl', 'exit 56 (recv failure) after an RST', { exitCode: 56 }, rst, { kind: 'reset' }],
    ['curl', 'exit 56 (recv failure) after a FIN', { exitCode: 56 }, fin, { kind: 'closed' }],
    ['curl', 'exit 28 (timeout)', { exitCode: 28 }, open, { kind: 'timeout' }],
    ['curl', 'exit 7 with no connection through', { exitCode: 7 }, undefined, { kind: 'refused', phase: 'connect' }],
    ['curl', 'exit 8 (weird reply) after a 552', { exitCode: 8 }, rejected, { kind: 'reply', code: 552 }],
    ['swaks', 'exit 6 (closed) after an RST', { exitCode: 6 }, rst, { kind: 'reset' }],
    ['swaks', 'exit 21 (banner) with no greeting: a timeout', { exitCode: 21 }, { clientSaw: null } as Wire, { kind: 'timeout' }],
    ['swaks', 'exit 26 (rejected after the dot) on a 552', { exitCode: 26 }, rejected, { kind: 'reply', code: 552 }],
    ['msmtp', 'exit 76 (protocol) after a FIN', { exitCode: 76 }, fin, { kind: 'closed' }],
    ['msmtp', 'exit 74 (I/O) over a connection left open: a timeout', { exitCode: 74 }, open, { kind: 'timeout' }],
    ['msmtp', 'exit 75 (temporary failure) after an RST at connect', { exitCode: 75 }, { clientSaw: 'rst' } as Wire, { kind: 'reset' }],
  ])('classifies %s: %s', (client, _name, error, wire, want) => {
    const outcome = classify({ client, report: failed(error), phase: 'rcpt', bytesSent: 12, wire });
    expect(outcome).toMatchObject({ phase: 'rcpt', bytesSent: 12, ...want });
    if (want.kind !== 'reply') expect(outcome).not.toHaveProperty('code');
  });

  it('ignores message text: the same text with different codes classifies differently', () => {
    const text = 'Connection closed unexpectedly';
    expect(classify({ client: 'nodemailer', report: { ok: false, error: { message: text, cause: 'ECONNRESET' } }, phase: 'body', bytesSent: 0, wire: { clientSaw: 'fin' } }).kind).toBe('reset');
    expect(classify({ client: 'nodemailer', report: { ok: false, error: { message: text } }, phase: 'body', bytesSent: 0, wire: { clientSaw: 'fin' } }).kind).toBe('closed');
  });

  it('classifies a success as delivered', () => {
    expect(classify({ client: 'nodemailer', report: { ok: true, detail: '250 queued' }, phase: 'dot', bytesSent: 100 })).toEqual({
      kind: 'delivered',
      phase: 'dot',
      bytesSent: 100,
      detail: '250 queued',
    });
  });

  it('classifies a client stopped at the deadline as hung, where it was', () => {
    expect(classify({ client: 'nodemailer', report: 'hung', phase: 'body', bytesSent: 65536 })).toMatchObject({ kind: 'hung', phase: 'body', bytesSent: 65536 });
  });
});
