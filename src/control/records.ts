/**
 * What the mock recorded, as the control API's JSON: named fields only (the library's values carry
 * functions, such as `raw()`, and may grow fields that are not for the wire). `n` is the 1-based
 * position in the list as it is now, the number `/messages/{n}/raw` takes; after a DELETE it restarts.
 */
import type { ReceivedMessage, ReceivedUpload, SessionRecord } from '../lib/types.js';

export const messageJson = (m: ReceivedMessage, i: number) => ({
  n: i + 1,
  from: m.from,
  to: [...m.to],
  bytes: m.bytes,
  sha256: m.sha256,
  session: m.session,
});

export const uploadJson = (u: ReceivedUpload, i: number) => ({
  n: i + 1,
  path: u.path,
  bytes: u.bytes,
  sha256: u.sha256,
  received: u.received,
  complete: u.complete,
  session: u.session,
});

export const sessionJson = (s: SessionRecord): SessionRecord => ({
  index: s.index,
  phase: s.phase,
  transcript: [...s.transcript],
  faultsFired: [...s.faultsFired],
  ended: s.ended === null ? null : { by: s.ended.by, how: s.ended.how },
});
