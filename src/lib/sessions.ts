/** The proxy's view of each connection (SessionInfo) as the library's SessionRecord. */
import { formatFault } from '../faults/format.js';
import type { SessionInfo } from '../proxy/proxy.js';
import type { SessionEnding, SessionRecord } from './types.js';

/** Who ended the session first, from its first connection event (`FIN from client`, `RST to client`...). */
function endedBy(first: string | undefined): SessionEnding['by'] {
  if (first === undefined) return 'proxy';
  if (/from client$|^client socket/.test(first)) return 'client';
  if (/from server$|^server socket/.test(first)) return 'server';
  return 'proxy';
}

/** How the session ended, once both its connections are closed; null before. */
export function sessionEnding(info: SessionInfo): SessionEnding | null {
  if (info.open !== false) return null;
  const endings = info.endings ?? [];
  // The proxy's own RST or FIN to the client, or else what the client ended its side with.
  const how = info.clientSaw ?? (endings.includes('RST from client') ? 'rst' : 'fin');
  return { by: endedBy(endings[0]), how };
}

/** One session as a SessionRecord: the transcript is the proxy's, already redacted (src/proxy/transcript.ts). */
export function sessionRecord(info: SessionInfo): SessionRecord {
  return {
    index: info.index,
    phase: info.phase,
    transcript: info.transcript,
    faultsFired: (info.faultsFired ?? []).map(formatFault),
    ended: sessionEnding(info),
  };
}
