/** A proxy session as the engine reads it (SessionInfo), for socket-free tests: neutral defaults, `over` on top. */
import type { SessionInfo } from '../../src/proxy/proxy.js';

/** A session with nothing sent, nothing fired, nothing cut; `over` replaces fields. */
export function sessionInfo(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    index: 1,
    phase: 'connect',
    bodyBytes: 0,
    faultFired: false,
    steps: [],
    accepted: 0,
    transactions: 0,
    violations: [],
    clientSaw: null,
    transcript: [],
    ...over,
  };
}
