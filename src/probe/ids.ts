/**
 * Every finding id of both protocols with its source: the id tables (./smtp-ids.ts, ./ftp-ids.ts) as
 * one list, and the lookup each check takes its `rfc` from.
 */
import { FTP_FINDINGS } from './ftp-ids.js';
import { SMTP_FINDINGS } from './smtp-ids.js';
import type { ProbeTarget } from './types.js';

/** Every finding id, SMTP's then FTP's, each in report order, with its protocol. */
export const FINDINGS = [
  ...SMTP_FINDINGS.map((f) => ({ ...f, protocol: 'smtp' as const })),
  ...FTP_FINDINGS.map((f) => ({ ...f, protocol: 'ftp' as const })),
] satisfies readonly { readonly id: string; readonly rfc: string; readonly protocol: ProbeTarget['protocol'] }[];

/** A finding id of either protocol. */
export type FindingId = (typeof SMTP_FINDINGS)[number]['id'] | (typeof FTP_FINDINGS)[number]['id'];

/** The source a finding id cites. */
export function rfcOf(id: FindingId): string {
  return FINDINGS.find((f) => f.id === id)!.rfc;
}
