import { describe, expect, it } from 'vitest';
import type { ClientError } from '../../src/clients/types.js';
import { classify } from '../../src/engine/classify.js';

const failed = (error: Omit<ClientError, 'message'>) => ({ ok: false as const, error: { message: 'irrelevant text', ...error } });

describe('classify', () => {
  it.each([
    ['a nodemailer socket error over ECONNRESET', { code: 'ESOCKET', cause: 'ECONNRESET', command: 'CONN' }, { kind: 'reset' }],
    ['a write into a reset connection (EPIPE)', { code: 'ESOCKET', cause: 'EPIPE' }, { kind: 'reset' }],
    ['an aborted connection (ECONNABORTED, 10053)', { cause: 'ECONNABORTED' }, { kind: 'reset' }],
    ['a connection closed unexpectedly (FIN)', { code: 'ECONNECTION', command: 'CONN' }, { kind: 'closed' }],
    ['a refused connection', { code: 'ESOCKET', cause: 'ECONNREFUSED' }, { kind: 'refused', phase: 'connect' }],
    ['a greeting timeout', { code: 'ETIMEDOUT', command: 'CONN' }, { kind: 'timeout' }],
    ['a timeout reported only underneath', { code: 'ESOCKET', cause: 'ETIMEDOUT' }, { kind: 'timeout' }],
    ['a 552 after the dot', { code: 'EMESSAGE', responseCode: 552, command: 'DATA' }, { kind: 'reply', code: 552 }],
    ['a 421 at the greeting, even with a connection code', { code: 'ECONNECTION', responseCode: 421 }, { kind: 'reply', code: 421 }],
    ['an error with no code at all', {}, { kind: 'closed' }],
  ])('classifies %s', (_name, error, want) => {
    const outcome = classify({ report: failed(error), phase: 'rcpt', bytesSent: 12 });
    expect(outcome).toMatchObject({ phase: 'rcpt', bytesSent: 12, ...want });
    if (want.kind !== 'reply') expect(outcome).not.toHaveProperty('code');
  });

  it('ignores message text: the same text with different codes classifies differently', () => {
    const text = 'Connection closed unexpectedly';
    expect(classify({ report: { ok: false, error: { message: text, cause: 'ECONNRESET' } }, phase: 'body', bytesSent: 0 }).kind).toBe('reset');
    expect(classify({ report: { ok: false, error: { message: text } }, phase: 'body', bytesSent: 0 }).kind).toBe('closed');
  });

  it('classifies a success as delivered', () => {
    expect(classify({ report: { ok: true, detail: '250 queued' }, phase: 'dot', bytesSent: 100 })).toEqual({
      kind: 'delivered',
      phase: 'dot',
      bytesSent: 100,
      detail: '250 queued',
    });
  });

  it('classifies a client stopped at the deadline as hung, where it was', () => {
    expect(classify({ report: 'hung', phase: 'body', bytesSent: 65536 })).toMatchObject({ kind: 'hung', phase: 'body', bytesSent: 65536 });
  });
});
