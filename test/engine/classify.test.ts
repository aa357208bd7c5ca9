import { describe, expect, it } from 'vitest';
import { curlClient } from '../../src/clients/curl.js';
import { msmtpClient } from '../../src/clients/msmtp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksClient } from '../../src/clients/swaks.js';
import type { ClientError, ExitCodes } from '../../src/clients/types.js';
import { classify, type Wire } from '../../src/engine/classify.js';

/** Each SMTP adapter's own exit-code table, by the name the rows give. */
const EXIT_TABLES: Readonly<Record<string, ExitCodes>> = Object.fromEntries(
  [nodemailerPlain, curlClient, swaksClient, msmtpClient, smtplibClient].map((c) => [c.name, c.exitCodes ?? {}]),
);

const failed = (error: Omit<ClientError, 'message'>) => ({ ok: false as const, error: { message: 'irrelevant text', ...error } });

describe('classify', () => {
  const rst: Wire = { clientSaw: 'rst', lastReply: 354 };
  const fin: Wire = { clientSaw: 'fin', lastReply: 250 };
  const open: Wire = { clientSaw: null, lastReply: 220 };
  const rejected: Wire = { clientSaw: 'fin', lastReply: 552 };
  const starttlsRefused: Wire = { clientSaw: 'fin', lastReply: 454 };
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
    [
      'nodemailer',
      'a self-signed certificate it rejects, whatever the wire',
      { code: 'ESOCKET', cause: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' },
      open,
      { kind: 'closed' },
    ],
    ['nodemailer', 'a certificate for another host', { code: 'ESOCKET', cause: 'ERR_TLS_CERT_ALTNAME_INVALID' }, open, { kind: 'closed' }],
    [
      'nodemailer',
      'implicit TLS shown a plaintext greeting',
      { code: 'ESOCKET', cause: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN' },
      open,
      { kind: 'closed' },
    ],
    [
      'nodemailer',
      "the server's fatal handshake_failure alert, whatever the wire",
      { code: 'ESOCKET', cause: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', command: 'CONN' },
      open,
      { kind: 'closed' },
    ],
    ['nodemailer', "the server's fatal internal_error alert", { code: 'ESOCKET', cause: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR' }, open, { kind: 'closed' }],
    [
      'nodemailer',
      "the server's unrecognized_name alert (OpenSSL's name has no ALERT_)",
      { code: 'ESOCKET', cause: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME' },
      open,
      { kind: 'closed' },
    ],
    ['nodemailer', 'a STARTTLS upgrade that failed (ETLS)', { code: 'ETLS', command: 'STARTTLS' }, open, { kind: 'closed' }],
    ['nodemailer', 'a 454 to STARTTLS (ETLS with its reply code)', { code: 'ETLS', responseCode: 454, command: 'STARTTLS' }, fin, { kind: 'reply', code: 454 }],
    ['nodemailer', 'ETLS over an RST during the handshake', { code: 'ETLS', cause: 'ECONNRESET' }, rst, { kind: 'reset' }],
    ['smtplib', 'STARTTLS required but not offered (a stripped EHLO reply): it closed first', { code: 'SMTPNotSupportedError' }, open, { kind: 'closed' }],
    ['curl', 'exit 60 (peer certificate not trusted)', { exitCode: 60 }, open, { kind: 'closed' }],
    ['curl', 'exit 35 (TLS handshake) after an RST', { exitCode: 35 }, rst, { kind: 'reset' }],
    ['curl', 'exit 64 (TLS required) after a 454', { exitCode: 64 }, starttlsRefused, { kind: 'reply', code: 454 }],
    ['swaks', 'exit 29 (TLS) after an RST', { exitCode: 29 }, rst, { kind: 'reset' }],
    ['swaks', 'exit 29 (TLS) with no RST: it rejected the server', { exitCode: 29 }, open, { kind: 'closed' }],
    ['msmtp', 'exit 69 (TLS_ECERT) after the 220 to STARTTLS', { exitCode: 69 }, open, { kind: 'closed' }],
    ['msmtp', 'exit 69 (unavailable) after a 552', { exitCode: 69 }, rejected, { kind: 'reply', code: 552 }],
    ['smtplib', 'an SSLCertVerificationError', { code: 'SSLCertVerificationError' }, open, { kind: 'closed' }],
    ['smtplib', 'a 454 to STARTTLS (SMTPResponseException)', { code: 'SMTPResponseException', responseCode: 454 }, fin, { kind: 'reply', code: 454 }],
    ['smtplib', 'a ConnectionResetError during the handshake', { code: 'ConnectionResetError', cause: 'ECONNRESET' }, fin, { kind: 'reset' }],
  ])('classifies %s: %s', (client, _name, error, wire, want) => {
    const outcome = classify({ report: failed(error), phase: 'rcpt', bytesSent: 12, wire, exitCodes: EXIT_TABLES[client]! });
    expect(outcome).toMatchObject({ phase: 'rcpt', bytesSent: 12, ...want });
    if (want.kind !== 'reply') expect(outcome).not.toHaveProperty('code');
  });

  it.each([
    ['a FIN after a 530: the reply said why', { clientSaw: 'fin', lastReply: 530 } as Wire, { kind: 'reply', code: 530 }],
    ['nothing cut, a 530 last', { clientSaw: null, lastReply: 530 } as Wire, { kind: 'reply', code: 530 }],
    ['an RST after a 530: the RST', { clientSaw: 'rst', lastReply: 530 } as Wire, { kind: 'reset' }],
    ['a FIN after a 230: the FIN', { clientSaw: 'fin', lastReply: 230 } as Wire, { kind: 'closed' }],
  ])('reads an exit code that says nothing (its own table: 1 = wire) from the wire: %s', (_what, wire, want) => {
    const outcome = classify({ report: failed({ exitCode: 1 }), phase: 'pass', bytesSent: 0, wire, exitCodes: { 1: 'wire' } });
    expect(outcome).toMatchObject(want);
  });

  it.each([
    ['reset', { clientSaw: 'fin', lastReply: 552 } as Wire, { kind: 'reset' }],
    ['closed', { clientSaw: 'rst', lastReply: 354 } as Wire, { kind: 'closed' }],
    ['refused', { clientSaw: null, lastReply: 220 } as Wire, { kind: 'refused', phase: 'connect' }],
  ] as const)("takes an exit code mapped to %s (a user's exit-code map) as that kind, whatever the wire says", (meaning, wire, want) => {
    const outcome = classify({ report: failed({ exitCode: 9 }), phase: 'data', bytesSent: 0, wire, exitCodes: { 9: meaning } });
    expect(outcome).toMatchObject(want);
    expect(outcome).not.toHaveProperty('code');
  });

  it.each([
    ['a failure reply last: the reply', { clientSaw: null, lastReply: 451 } as Wire, { kind: 'reply', code: 451 }],
    ['an RST: the RST', { clientSaw: 'rst', lastReply: 451 } as Wire, { kind: 'reset' }],
    ['a FIN after a 250: the FIN', { clientSaw: 'fin', lastReply: 250 } as Wire, { kind: 'closed' }],
    ['no connection: refused', undefined, { kind: 'refused', phase: 'connect' }],
  ])("reads a failure without an exit code whose own meaning is wire (a crashed command client's) from the wire: %s", (_what, wire, want) => {
    const outcome = classify({ report: failed({ meaning: 'wire' }), phase: 'rcpt', bytesSent: 0, wire, exitCodes: {} });
    expect(outcome).toMatchObject(want);
  });

  it.each([
    ['an exit code that says nothing: closed by the client', { exitCode: 1 }, { 1: 'wire' }, { kind: 'closed', byClient: true }],
    ['no exit code, its meaning wire (a crash)', { meaning: 'wire' }, {}, { kind: 'closed', byClient: true }],
    ["an in-process client's error with no code", {}, {}, { kind: 'closed', byClient: true }],
    ['its own timeout code: still a timeout', { code: 'ETIMEDOUT' }, {}, { kind: 'timeout' }],
    ['an exit code its table maps to timeout: as said', { exitCode: 28 }, { 28: 'timeout' }, { kind: 'timeout' }],
  ] as const)('reads a client that closed the connection itself on its turn, nothing cut toward it, as closed by it: %s', (_what, error, table, want) => {
    const wire: Wire = { clientSaw: null, lastReply: 220, leftOnTurn: true };
    const outcome = classify({ report: failed(error), phase: 'greeting', bytesSent: 0, wire, exitCodes: table });
    expect(outcome).toMatchObject({ phase: 'greeting', ...want });
    if (!('byClient' in want)) expect(outcome).not.toHaveProperty('byClient');
  });

  it('reads an FTP client that left on its turn after it was told a data address where nothing listens as refused', () => {
    const wire: Wire = { clientSaw: null, lastReply: 227, leftOnTurn: true, dataRefused: true };
    expect(classify({ report: failed({ exitCode: 1 }), phase: 'pasv', bytesSent: 0, wire, exitCodes: { 1: 'wire' } }).kind).toBe('refused');
    expect(
      classify({ report: failed({ exitCode: 1 }), phase: 'pasv', bytesSent: 0, wire: { ...wire, leftOnTurn: false }, exitCodes: { 1: 'wire' } }).kind,
    ).toBe('timeout');
  });

  it.each([
    ['an RST reached it first', { clientSaw: 'rst', leftOnTurn: false } as Wire, 'reset'],
    ['a FIN reached it first', { clientSaw: 'fin', leftOnTurn: false } as Wire, 'closed'],
    ['a failure reply was the last word', { clientSaw: null, lastReply: 554, leftOnTurn: true } as Wire, 'reply'],
    ['it left while a reply was owed', { clientSaw: null, lastReply: 250, leftOnTurn: false } as Wire, 'timeout'],
  ] as const)('says closed by the client only when it was: %s', (_what, wire, kind) => {
    const outcome = classify({ report: failed({ exitCode: 1 }), phase: 'rcpt', bytesSent: 0, wire, exitCodes: { 1: 'wire' } });
    expect(outcome.kind).toBe(kind);
    expect(outcome).not.toHaveProperty('byClient');
  });

  it('ignores message text: the same text with different codes classifies differently', () => {
    const text = 'Connection closed unexpectedly';
    expect(
      classify({ report: { ok: false, error: { message: text, cause: 'ECONNRESET' } }, phase: 'body', bytesSent: 0, wire: { clientSaw: 'fin' }, exitCodes: {} })
        .kind,
    ).toBe('reset');
    expect(classify({ report: { ok: false, error: { message: text } }, phase: 'body', bytesSent: 0, wire: { clientSaw: 'fin' }, exitCodes: {} }).kind).toBe(
      'closed',
    );
  });

  it.each([
    [{ exitCode: 4, message: 'exit 4' }, 'exit 4'],
    [{ exitCode: 4, message: '' }, 'exit 4'],
    [{ message: 'null' }, 'null'],
    [{ code: 'ESOCKET', cause: 'ECONNRESET', message: 'read ECONNRESET' }, 'ESOCKET ECONNRESET: read ECONNRESET'],
  ] as const)('describes a failure by its codes and its words when they add something: %j', (error, detail) => {
    expect(classify({ report: { ok: false, error }, phase: 'rcpt', bytesSent: 0, wire: { clientSaw: 'fin' }, exitCodes: {} }).detail).toBe(detail);
  });

  it('classifies a success as delivered', () => {
    expect(classify({ report: { ok: true, detail: '250 queued' }, phase: 'dot', bytesSent: 100, exitCodes: {} })).toEqual({
      kind: 'delivered',
      phase: 'dot',
      bytesSent: 100,
      detail: '250 queued',
    });
  });

  it('classifies a client stopped at the deadline as hung, where it was', () => {
    expect(classify({ report: 'hung', phase: 'body', bytesSent: 65536, exitCodes: {} })).toMatchObject({ kind: 'hung', phase: 'body', bytesSent: 65536 });
  });
});
