/** SessionInfo to SessionRecord: how a session ended and who ended it first, the faults in CLI syntax. Pure. */
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { sessionRecord } from '../../src/lib/sessions.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';
import { sessionInfo } from '../helpers/session-info.js';

const info = (over: Partial<SessionInfo>): SessionInfo => sessionInfo({ phase: 'quit', endings: [], open: false, faultsFired: [], ...over });

describe('sessionRecord', () => {
  it.each([
    ['open', { open: true, endings: ['FIN from client'] }, null],
    ['the client left first', { endings: ['FIN from client', 'FIN from server'] }, { by: 'client', how: 'fin' }],
    ['the client reset', { endings: ['RST from client', 'FIN to server'] }, { by: 'client', how: 'rst' }],
    ['the server closed, passed on as a FIN', { clientSaw: 'fin', endings: ['FIN from server', 'FIN from client'] }, { by: 'server', how: 'fin' }],
    ['a fault reset the client', { clientSaw: 'rst', endings: ['RST to client', 'FIN to server'] }, { by: 'proxy', how: 'rst' }],
    ['turned away with an RST', { clientSaw: 'rst', endings: ['RST to client'] }, { by: 'proxy', how: 'rst' }],
  ] as const)('says how a session ended when %s', (_, over, ended) => {
    expect(sessionRecord(info(over as Partial<SessionInfo>)).ended).toEqual(ended);
  });

  it('lists the faults that fired in the CLI syntax, and keeps the redacted transcript', () => {
    const record = sessionRecord(
      info({ faultsFired: [parseFault('reset after DATA +64KiB')], transcript: ['C  AUTH PLAIN ***'], endings: ['FIN from client'] }),
    );
    expect(record).toEqual({
      index: 1,
      phase: 'quit',
      transcript: ['C  AUTH PLAIN ***'],
      faultsFired: ['reset after DATA +64KiB'],
      ended: { by: 'client', how: 'fin' },
    });
  });
});
