/**
 * Building findings, for every check of both protocols: a finding from a connection's transcript, a
 * skip with its reason, two sessions' transcripts as one, and the one rule for seconds in values and
 * advice.
 */
import type { Finding, FindingStatus } from './types.js';

/** What went each way on a connection, as a finding shows it (RawConnection.takeTranscript). */
export interface TranscriptLines {
  readonly sent: readonly string[];
  readonly received: readonly string[];
}

/** Builds a finding from a transcript (`sent`/`received` copied); `value` only when measured. */
export function finding(id: string, status: FindingStatus, rfc: string, advice: string, transcript: TranscriptLines, value?: number | string): Finding {
  return { id, status, ...(value !== undefined ? { value } : {}), rfc, sent: [...transcript.sent], received: [...transcript.received], advice };
}

/** A finding for a check that could not run; `why`, one plain sentence, is its advice. */
export function skipped(id: string, rfc: string, why: string, transcript: TranscriptLines = { sent: [], received: [] }): Finding {
  return finding(id, 'skip', rfc, why, transcript);
}

/** Two transcripts as one, a note between them. */
export function merge(a: TranscriptLines, b: TranscriptLines, note: string): { sent: string[]; received: string[] } {
  return { sent: [...a.sent, `[${note}]`, ...b.sent], received: [...a.received, `[${note}]`, ...b.received] };
}

/**
 * Seconds from milliseconds, rounded half up to `decimals` places: the one rounding rule. The places
 * are the protocol's, part of the values users' CI reads: SMTP gives two (`smtp.idle-timeout` = 1.02),
 * FTP one (`closed after 1.5 s idle with 426`), a greeting's time three (to the millisecond).
 */
export function seconds(ms: number, decimals: 1 | 2 | 3): number {
  const scale = 10 ** decimals;
  return Math.round(ms / (1000 / scale)) / scale;
}
