/**
 * The HTML report: one self-contained file (inline CSS and JS, no fetch of any kind, enforced by a
 * Content-Security-Policy of `default-src 'none'`) to open from disk or a CI artifact.
 *
 *   header    wireprobe version, generation time, counts per verdict, and (when known) the
 *             provenance: Node, OpenSSL, OS, each client's and server's version (#provenance)
 *   filters   #filter-client, #filter-server, #filter-fault (a scenario): non-matching columns/rows hidden
 *   matrices  one <section> per protocol present (SMTP, then FTP):
 *               rows    = scenarios (id, title, fault text)
 *               columns = client (FTP: client/mode), grouped under one header per server when a
 *                         protocol's results come from more than one server
 *               cells   = the outcome in brief (`reset@rcpt`), coloured by verdict, with data-id,
 *                         data-index, data-client, data-server, data-fault, role=button, tabindex=0
 *   #details  the panel a clicked cell (or Enter/Space on it) opens: id, verdict, reason, outcome and
 *             its detail, expectation, transcript in a <pre> (RST, FIN and fault lines marked)
 *   data      <script type="application/json" id="wireprobe-data">: one record per result, in the
 *             order given (data-index), from which the script builds the panel with textContent
 *
 * Everything from a result is HTML-escaped in the markup, and the JSON block escapes `<`, `>` and `&`
 * so neither `</script` nor `<!--` can end or change it. Transcript lines are redacted again here.
 */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { columnOf } from '../engine/identity.js';
import type { Protocol, Result, Verdict } from '../engine/types.js';
import { formatFault } from '../faults/format.js';
import { redact } from '../util/redact.js';
import { scenarioOf } from './matrix.js';
import type { Incomplete } from './json.js';
import { SCRIPT } from './html-script.js';
import { STYLE } from './html-style.js';
import { formatOutcome } from '../engine/outcome-format.js';
import { formatOverride, noteHeader, serverConfigNotes } from './server-config.js';
import { summarize } from './summary.js';
import { makeDirs } from '../util/dirs.js';
import { CSP, esc, renderProvenance } from './html-safe.js';
import type { Provenance } from './provenance.js';

/** What the report says about itself. */
export interface HtmlMeta {
  /** wireprobe's own version. */
  readonly version: string;
  readonly generatedAt: Date;
  /** The run was interrupted: a banner says so and how many of the planned runs are here; default absent. */
  readonly incomplete?: Incomplete;
  /** What the results came from (src/report/provenance.ts), listed under the header; default absent. */
  readonly provenance?: Provenance;
}

/** The whole report as one HTML document. */
export function renderHtml(results: readonly Result[], meta: HtmlMeta): string {
  const records = results.map(toRecord);
  const matrices = PROTOCOLS.map((p) => buildProtocolMatrix(p, records)).filter((m) => m.rows.length > 0);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty data: icon, so a browser serving this over HTTP asks for no /favicon.ico either.
    '<link rel="icon" href="data:,">',
    `<title>wireprobe report ${esc(meta.version)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    renderHeader(results, meta),
    ...(meta.incomplete
      ? [`<p class="incomplete" role="alert">Incomplete: ${esc(meta.incomplete.reason)}; ${results.length} of ${meta.incomplete.total} runs finished.</p>`]
      : []),
    renderFilters(records, matrices),
    '<main>',
    ...(matrices.length > 0 ? matrices.map(renderMatrix) : ['<p class="none">No results.</p>']),
    ...serverConfigNotes(results).map(
      (n) =>
        `<p class="server-config-note" data-server="${esc(n.server)}">${esc(noteHeader(n))}${n.overridden.map((o) => `<br><code>${esc(formatOverride(o))}</code>`).join('')}</p>`,
    ),
    '<p id="no-match" class="none" hidden>Nothing matches these filters.</p>',
    '</main>',
    renderDetailsPanel(),
    `<script type="application/json" id="wireprobe-data">${jsonForScript(records)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes the report to `file`, creating parent folders. */
export async function writeHtml(file: string, results: readonly Result[], meta: HtmlMeta): Promise<void> {
  await makeDirs(dirname(file));
  await writeFile(file, renderHtml(results, meta), 'utf8');
}

// ─── The data: one record per result ────────────────────────────────────────────────────────────

/** A transcript line and its markers: `rst`, `fin` (connection ends), `fault` (a `!!` line). */
export interface MarkedLine {
  readonly text: string;
  readonly marks: readonly ('rst' | 'fin' | 'fault')[];
}

/** What the page knows of one result: the matrix cell's content and the details panel's. */
interface ResultRecord {
  readonly index: number;
  readonly id: string;
  readonly protocol: Protocol;
  readonly scenario: string;
  readonly title: string;
  readonly client: string;
  /** The matrix column within its server's group: the client, or client/mode for FTP, `/ipv6` after either over IPv6 (no `@server`). */
  readonly column: string;
  readonly server: string;
  /** The fault's short syntax, or `none`. */
  readonly fault: string;
  readonly faultFired: boolean;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly expected: string;
  /** The outcome in brief, as the cell shows it. */
  readonly outcome: string;
  readonly detail: string | null;
  /** Sink, FTP connections and message accounting, in words; empty when there is none. */
  readonly facts: readonly string[];
  readonly durationMs: number;
  readonly transcript: readonly MarkedLine[];
}

const PROTOCOLS: readonly Protocol[] = ['smtp', 'ftp'];

function toRecord(r: Result, index: number): ResultRecord {
  return {
    index,
    id: r.id,
    protocol: r.protocol,
    scenario: scenarioOf(r),
    title: r.title,
    client: r.client,
    column: columnOf(r.client, r.mode, undefined, r.family, r.tls),
    server: r.server,
    fault: r.fault === null ? 'none' : formatFault(r.fault),
    faultFired: r.faultFired,
    verdict: r.verdict,
    reason: r.reason,
    expected: r.expected,
    outcome: r.verdict === 'n/a' ? 'n/a' : formatOutcome(r.outcome),
    detail: r.outcome?.detail ?? null,
    facts: factsOf(r),
    durationMs: r.durationMs,
    transcript: markLines(redactTranscript(r.transcript)),
  };
}

/** The sink's, the FTP connections' and the accounting's findings, a line each. */
function factsOf(r: Result): string[] {
  const facts: string[] = [];
  if (r.outcome) facts.push(`body octets the client got through: ${r.outcome.bytesSent}`);
  if (r.sink?.verifiable === false) facts.push('what the server holds: not verifiable');
  else if (r.sink) facts.push(`server holds ${r.sink.copies} cop${r.sink.copies === 1 ? 'y' : 'ies'}, ${r.sink.intact ? 'intact' : 'NOT intact'}`);
  if (r.ftp) {
    const { control, sessions, transfers, data } = r.ftp;
    facts.push(`FTP control: ${control ?? 'stayed up'}, ${sessions} session(s), ${transfers} transfer command(s)`);
    facts.push(`FTP data: ${data.connections} connection(s), ${data.bytes} octets, client saw ${data.clientSaw ?? 'no RST/FIN'}`);
  }
  if (r.messages) {
    const m = r.messages;
    facts.push(
      `messages: ${m.sent} sent, ${m.reportedDelivered} reported delivered, ${m.reportedFailed} failed, ${m.lost} lost, ${m.duplicated} duplicated, ${m.retried} retried`,
    );
  }
  return facts;
}

// ─── Transcripts: redaction and markers ─────────────────────────────────────────────────────────

/** A client line: `... #<session> C  <text>` (the proxy's layout, see src/proxy/transcript.ts). */
const CLIENT_LINE = /^(.*?#(\d+) C {2})(.*)$/;
/** A server line, to know when a SASL exchange is under way (`334` asks for a secret line). */
const SERVER_LINE = /#(\d+) S {2}(\d{3})([ -])/;

/**
 * Redacts credentials in transcript lines, though the proxy already did (defence in depth):
 * src/report/transcripts.ts has no redaction function of its own (it writes lines as given), so this
 * reuses `redact` (src/util/redact.ts) (PASS/ACCT arguments, AUTH initial responses) on every client line, and
 * hides every client line answering a `334` of the same session (SASL continuations).
 */
export function redactTranscript(lines: readonly string[]): string[] {
  const inSasl = new Set<string>();
  return lines.map((line) => {
    const server = SERVER_LINE.exec(line);
    if (server) {
      const [, session = '', code, sep] = server;
      if (sep === ' ') code === '334' ? inSasl.add(session) : inSasl.delete(session);
      return line;
    }
    const client = CLIENT_LINE.exec(line);
    if (!client) return line;
    const [, prefix = '', session = '', text = ''] = client;
    const verb = (text.trim().split(/\s+/, 1)[0] ?? '').toUpperCase();
    return prefix + redact(text, verb, inSasl.has(session));
  });
}

/** Marks the lines a reader looks for: RST and FIN (the connection's end), and `!!` (a fault fired). */
export function markLines(lines: readonly string[]): MarkedLine[] {
  return lines.map((text) => ({
    text,
    marks: [
      ...(/\bRST\b/.test(text) ? (['rst'] as const) : []),
      ...(/\bFIN\b/.test(text) ? (['fin'] as const) : []),
      ...(/(^|\s)!!(\s|$)/.test(text) ? (['fault'] as const) : []),
    ],
  }));
}

// ─── The matrices ───────────────────────────────────────────────────────────────────────────────

interface Column {
  /** `server` and `column` joined: unique within a protocol. */
  readonly key: string;
  readonly server: string;
  readonly client: string;
  readonly column: string;
}

interface Row {
  readonly scenario: string;
  readonly title: string;
  readonly fault: string;
  /** Column key to the result's record. */
  readonly cells: ReadonlyMap<string, ResultRecord>;
}

interface ProtocolMatrix {
  readonly protocol: Protocol;
  /** In order of first appearance. */
  readonly servers: readonly string[];
  /** Grouped by server (in `servers` order), clients in order of first appearance within a server. */
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
}

/** Arranges one protocol's records as scenario rows and server x client columns. */
function buildProtocolMatrix(protocol: Protocol, all: readonly ResultRecord[]): ProtocolMatrix {
  const records = all.filter((r) => r.protocol === protocol);
  const servers = unique(records.map((r) => r.server));
  const columns = servers.flatMap((server) => {
    const here = records.filter((r) => r.server === server);
    const clients = unique(here.map((r) => r.client));
    const made = unique(here.map((r) => r.column)).map((column): Column => {
      const client = here.find((r) => r.column === column)?.client ?? column;
      return { key: `${server}\u0000${column}`, server, client, column };
    });
    // A client's columns side by side (plaintext, /starttls, /tls, /ipv6), whichever scenario first had each.
    return made.sort((a, b) => clients.indexOf(a.client) - clients.indexOf(b.client));
  });
  const rows = new Map<string, { scenario: string; title: string; fault: string; cells: Map<string, ResultRecord> }>();
  for (const r of records) {
    const row = rows.get(r.scenario) ?? { scenario: r.scenario, title: r.title, fault: r.fault, cells: new Map() };
    row.cells.set(`${r.server}\u0000${r.column}`, r);
    rows.set(r.scenario, row);
  }
  return { protocol, servers, columns, rows: [...rows.values()] };
}

function renderMatrix(m: ProtocolMatrix): string {
  const name = m.protocol.toUpperCase();
  return [
    `<section class="matrix" id="matrix-${m.protocol}" data-protocol="${m.protocol}">`,
    `<h2>${name} <span class="count">${m.rows.length} scenario(s) × ${m.columns.length} column(s)</span></h2>`,
    '<div class="scroll">',
    `<table aria-label="${name} results">`,
    renderColumnHeads(m),
    '<tbody>',
    ...m.rows.map((row) => renderRow(row, m.columns)),
    '</tbody>',
    '</table>',
    '</div>',
    '</section>',
  ].join('\n');
}

/** One header row of columns; with several servers, a row of server groups above it. */
function renderColumnHeads(m: ProtocolMatrix): string {
  const grouped = m.servers.length > 1;
  const corner = `<th class="corner" scope="col"${grouped ? ' rowspan="2"' : ''}>scenario${grouped ? '' : ` <span class="server-note">on ${esc(m.servers[0] ?? '')}</span>`}</th>`;
  const groups = m.servers.map((server) => {
    const span = m.columns.filter((c) => c.server === server).length;
    return `<th class="server-group" scope="colgroup" colspan="${span}" data-server="${esc(server)}">${esc(server)}</th>`;
  });
  const heads = m.columns.map((c) => `<th class="col" scope="col" ${columnAttrs(c)}>${esc(c.column)}</th>`);
  return grouped
    ? `<thead>\n<tr>${corner}${groups.join('')}</tr>\n<tr>${heads.join('')}</tr>\n</thead>`
    : `<thead>\n<tr>${corner}${heads.join('')}</tr>\n</thead>`;
}

function renderRow(row: Row, columns: readonly Column[]): string {
  const head =
    `<th scope="row" class="scenario" title="${esc(row.title)}">` +
    `<code>${esc(row.scenario)}</code><span class="title">${esc(row.title)}</span><span class="fault">${esc(row.fault)}</span></th>`;
  const cells = columns.map((c) => {
    const record = row.cells.get(c.key);
    return record === undefined ? `<td class="empty" ${columnAttrs(c)} data-fault="${esc(row.fault)}">·</td>` : renderCell(record, c);
  });
  return `<tr data-scenario="${esc(row.scenario)}" data-fault="${esc(row.fault)}">${head}${cells.join('')}</tr>`;
}

/** A result's cell, coloured by verdict; the script finds its record by `data-index`. */
function renderCell(r: ResultRecord, c: Column): string {
  const attrs = [
    `class="cell v-${verdictClass(r.verdict)}"`,
    `data-index="${r.index}"`,
    `data-id="${esc(r.id)}"`,
    columnAttrs(c),
    `data-fault="${esc(r.fault)}"`,
    `data-verdict="${esc(r.verdict)}"`,
    `title="${esc(`${r.verdict}: ${r.reason}`)}"`,
    'role="button"',
    'tabindex="0"',
  ];
  return `<td ${attrs.join(' ')}>${esc(r.outcome)}</td>`;
}

function columnAttrs(c: Column): string {
  return `data-client="${esc(c.client)}" data-column="${esc(c.column)}" data-server="${esc(c.server)}"`;
}

// ─── Header, filters, details panel ─────────────────────────────────────────────────────────────

const VERDICTS: readonly Verdict[] = ['conformant', 'deviates', 'unfired', 'error', 'n/a'];

/** The verdict as a CSS class suffix (`n/a` → `na`). */
function verdictClass(v: Verdict): string {
  return v === 'n/a' ? 'na' : v;
}

function renderHeader(results: readonly Result[], meta: HtmlMeta): string {
  const s = summarize(results);
  const count: Record<Verdict, number> = { conformant: s.conformant, deviates: s.deviates, unfired: s.unfired, error: s.error, 'n/a': s.na };
  const chips = VERDICTS.map((v) => `<span class="chip v-${verdictClass(v)}">${count[v]} ${esc(v)}</span>`);
  return [
    '<header>',
    '<h1>wireprobe report</h1>',
    `<p class="meta">wireprobe <span id="version">${esc(meta.version)}</span> · generated <time datetime="${esc(meta.generatedAt.toISOString())}">${esc(meta.generatedAt.toISOString())}</time></p>`,
    `<p id="summary" class="summary">${s.total} result(s): ${chips.join(' ')}</p>`,
    ...(meta.provenance ? [renderProvenance(meta.provenance)] : []),
    '</header>',
  ].join('\n');
}

function renderFilters(records: readonly ResultRecord[], matrices: readonly ProtocolMatrix[]): string {
  const clients = unique(records.map((r) => r.client)).map((c) => [c, c] as const);
  const servers = unique(records.map((r) => r.server)).map((s) => [s, s] as const);
  const scenarios = matrices.flatMap((m) => m.rows.map((row) => [row.scenario, `${row.scenario} — ${row.fault}`] as const));
  return [
    '<nav class="filters" aria-label="filters">',
    renderSelect('filter-client', 'client', 'all clients', clients),
    renderSelect('filter-server', 'server', 'all servers', servers),
    renderSelect('filter-fault', 'scenario / fault', 'all scenarios', scenarios),
    '</nav>',
  ].join('\n');
}

function renderSelect(id: string, label: string, all: string, options: readonly (readonly [string, string])[]): string {
  const items = options.map(([value, text]) => `<option value="${esc(value)}">${esc(text)}</option>`);
  return `<label>${esc(label)} <select id="${id}"><option value="">${esc(all)}</option>${items.join('')}</select></label>`;
}

function renderDetailsPanel(): string {
  return [
    '<aside id="details" aria-live="polite" hidden>',
    '<button type="button" id="details-close" aria-label="close details">×</button>',
    '<h2 id="details-id"></h2>',
    '<dl id="details-fields"></dl>',
    '<h3>transcript</h3>',
    '<pre id="details-transcript"></pre>',
    '</aside>',
  ].join('\n');
}

// ─── Escaping ───────────────────────────────────────────────────────────────────────────────────

/**
 * JSON safe inside <script>: `<`, `>` and `&` as \u escapes (so no `</script`, `<!--` or `]]>`), and
 * U+2028/U+2029 too; JSON.parse gives the same data back.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
