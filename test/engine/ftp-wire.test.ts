/** What classify reads of an FTP session (ftpWire): which end the client saw, and whether it left on its turn. */
import { describe, expect, it } from 'vitest';
import { ftpWire } from '../../src/engine/ftp-run.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';
import { sessionInfo } from '../helpers/session-info.js';

/** A control session the client left on its turn, after its 227; `over` replaces fields. */
function session(over: Partial<SessionInfo> = {}): SessionInfo {
  return sessionInfo({ phase: 'pasv', steps: ['USER', 'PASS', 'PASV'], lastReply: 227, leftOnTurn: true, ...over });
}

describe('ftpWire', () => {
  it('passes on that the client left on its turn when nothing was cut toward it', () => {
    expect(ftpWire(session())).toMatchObject({ clientSaw: null, leftOnTurn: true, dataRefused: false });
  });

  it("does not when what it saw was its data connection's FIN: that end was the proxy's", () => {
    const cut = ftpWire(session({ data: { connections: 1, bytes: 65536, clientSaw: 'fin' } }));
    expect(cut).toMatchObject({ clientSaw: 'fin', leftOnTurn: false });
  });

  it("does after the 221 to its QUIT, where the control connection's FIN may have come first", () => {
    const quit = ftpWire(session({ phase: 'quit', clientSaw: 'fin', data: { connections: 1, bytes: 10, clientSaw: null } }));
    expect(quit).toMatchObject({ clientSaw: 'fin', leftOnTurn: true });
  });

  it("reads the data connection's RST when the client met it before acting on its control connection's FIN", () => {
    const cut = (rstFirst: boolean) =>
      sessionInfo({
        phase: 'transfer',
        clientSaw: 'fin',
        lastReply: 150,
        data: { connections: 1, bytes: 1 << 20, clientSaw: 'rst', ...(rstFirst ? { rstFirst } : {}) },
      });
    expect(ftpWire(cut(true)).clientSaw).toBe('rst');
    expect(ftpWire(cut(false)).clientSaw).toBe('fin');
  });

  it('leaves out a failure reply the client went on past: it did not stop on it', () => {
    const past = (over: Partial<SessionInfo>) => sessionInfo({ phase: 'user', steps: ['FEAT', 'USER'], lastReply: 503, clientSaw: 'fin', ...over });
    expect(ftpWire(past({ movedOn: true }))).not.toHaveProperty('lastReply');
    expect(ftpWire(past({}))).toMatchObject({ clientSaw: 'fin', lastReply: 503 });
  });

  it('says the client was told a data address where nothing listens', () => {
    const refused = ftpWire(session({ faultFired: true, faultsFired: [{ kind: 'dataport', how: 'refused', at: 'connect' }] }));
    expect(refused.dataRefused).toBe(true);
    const blackholed = ftpWire(session({ faultFired: true, faultsFired: [{ kind: 'dataport', how: 'blackholed', at: 'connect' }] }));
    expect(blackholed.dataRefused).toBe(false);
  });
});
