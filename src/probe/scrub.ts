/**
 * The probe knows the secret it logs in with, so it can mask it wherever it turns up: a server that
 * echoes the password (`530 Login incorrect for password s3cret`, an EHLO that repeats an AUTH line)
 * puts it in replies, which redaction of our own lines (src/util/redact.ts) never touches. Every
 * string of the report (advice, values, sent and received lines) is masked before any output sees it.
 */
import { ANONYMOUS } from './target.js';
import type { Finding, ProbeReport, ProbeTarget } from './types.js';

/** What a masked secret becomes. */
export const MASK = '***';

/** Shorter secrets are not masked: one or two characters would blank out ordinary text. */
const MIN_SECRET = 3;

/**
 * The forms the target's password can take on the wire and in a report: as typed, as octets read as
 * latin1 (how raw replies are decoded), percent-encoded, and base64 of itself and of the AUTH PLAIN
 * message `authzid NUL user NUL password` (RFC 4616 §2) and AUTH LOGIN's lines (user and password).
 * Empty when there is no password or it is the anonymous one.
 */
export function secretsOf(target: ProbeTarget): string[] {
  const password = target.password;
  if (password === undefined || password.length < MIN_SECRET) return [];
  if (target.user === ANONYMOUS.user && password === ANONYMOUS.password) return [];
  const user = target.user ?? '';
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const forms = [
    password,
    Buffer.from(password, 'utf8').toString('latin1'),
    encodeURIComponent(password),
    b64(password),
    b64(`\0${user}\0${password}`),
    b64(`${user}\0${user}\0${password}`),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET).sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by `***` (longest first, so no part of one survives). */
export function maskText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(MASK);
  // A transcript line cut for display (`text... (300 chars)`, src/probe/raw-transcript.ts) may end inside a secret:
  // the start of a secret right before the cut is masked too.
  const cut = /^([\s\S]*?)(\.\.\. \(\d+ chars\))$/.exec(out);
  if (cut) {
    let head = cut[1]!;
    for (const secret of secrets) {
      for (let k = secret.length - 1; k >= MIN_SECRET; k -= 1) {
        if (head.endsWith(secret.slice(0, k))) {
          head = `${head.slice(0, head.length - k)}${MASK}`;
          break;
        }
      }
    }
    out = `${head}${cut[2]}`;
  }
  return out;
}

/** The report with every secret masked in every string it holds. */
export function maskReport(report: ProbeReport, secrets: readonly string[]): ProbeReport {
  if (secrets.length === 0) return report;
  const mask = (text: string): string => maskText(text, secrets);
  const finding = (f: Finding): Finding => ({
    ...f,
    ...(typeof f.value === 'string' ? { value: mask(f.value) } : {}),
    advice: mask(f.advice),
    sent: f.sent.map(mask),
    received: f.received.map(mask),
  });
  return { ...report, target: mask(report.target), findings: report.findings.map(finding) };
}
