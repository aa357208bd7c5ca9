/**
 * What the HTML pages (the run report, the diff) share: escaping of every text that came from a run,
 * the Content-Security-Policy that lets nothing be fetched, and the provenance section.
 */
import { type Provenance, provenancePairs } from './provenance.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content or a double- or single-quoted attribute value. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Nothing may be fetched: only the inline style and script run. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The environment the results came from, folded: a reader comparing two reports opens it. */
export function renderProvenance(p: Provenance): string {
  const rows = provenancePairs(p).map(([name, value]) => `<dt>${esc(name)}</dt><dd>${esc(value)}</dd>`);
  return `<details class="meta"><summary>environment</summary><dl id="provenance">${rows.join('')}</dl></details>`;
}
