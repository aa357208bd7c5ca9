/**
 * Credentials hidden in a client line, for every transcript wireprobe writes (the proxy's, the probe's
 * and the HTML report's, which redacts again) and for pcapng captures (src/pcap/masker.ts). One owner of
 * "what is a credential", so they cannot drift apart.
 */

/**
 * Commands whose argument is a credential, and how many words of it stay visible first: AUTH shows its
 * mechanism, not the initial response (RFC 4954 §4); PASS and ACCT nothing (RFC 959 §4.1.1).
 */
const SHOWN_WORDS: ReadonlyMap<string, number> = new Map([
  ['AUTH', 1],
  ['PASS', 0],
  ['ACCT', 0],
]);

/** Words of `verb`'s argument shown before its credential, or undefined when it carries none. */
export function wordsBeforeSecret(verb: string): number | undefined {
  return SHOWN_WORDS.get(verb);
}

/** An SMTP reply code asking the client for a SASL line, which is all secret (RFC 4954 §4). */
export const SASL_CHALLENGE = 334;

/** Hides credentials in a client line. `continuation`: a SASL line after 334, all secret. */
export function redact(line: string, verb: string, continuation = false): string {
  if (continuation) return '***';
  const shown = wordsBeforeSecret(verb);
  if (shown === undefined) return line;
  if (shown === 0) return `${verb} ***`;
  const words = line.trim().split(/\s+/);
  const head = [verb, ...Array.from({ length: shown }, (_, i) => words[i + 1] ?? '')].join(' ');
  return words.length > shown + 1 ? `${head} ***` : head;
}
