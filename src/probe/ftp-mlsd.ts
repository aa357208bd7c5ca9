/**
 * `ftp.mlsd` (documented in ./ftp-ids.ts): the machine-readable listings of RFC 3659 §7, when FEAT
 * lists MLST. One logged-in session, reading only (nothing is written):
 *
 *   FEAT ─► MLST listed? ─ no ─► skip
 *   data connection (EPSV, PASV, PORT) ─► MLSD ─► 150 … entries … 226 ─► each entry's facts parse
 *   MLST <a file MLSD listed> (else MLST alone: the current directory) ─► 250 with one entry line
 *
 * An entry is `fact=value;fact=value; name` (facts may be empty, the space never is); the facts the
 * probe checks are those clients rely on: type (file, dir, cdir, pdir, OS.*), size (octets), modify
 * (YYYYMMDDHHMMSS, optional fraction, UTC).
 */
import { openLoggedIn, type FtpSession } from './ftp-control.js';
import { DataOpener } from './ftp-data-opener.js';
import { finding, skipped } from './finding.js';
import { codeOf, said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import type { Finding, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.mlsd';
const RFC = rfcOf(ID);

/** One entry of an MLSD or MLST listing, parsed. */
export interface MlsxEntry {
  /** Fact names lower-cased (they are case-insensitive, RFC 3659 §7.5), values as sent. */
  readonly facts: ReadonlyMap<string, string>;
  readonly name: string;
}

/** How each fact the probe checks must look (the grammar of RFC 3659 §7.5). */
const FACT_VALUES: Readonly<Record<string, RegExp>> = {
  type: /^(file|dir|cdir|pdir|OS\.[^;]+)$/i,
  size: /^\d+$/,
  modify: /^\d{14}(\.\d+)?$/,
};

/**
 * Parses one entry line (without the leading space MLST puts before it): the entry, or why it does
 * not parse.
 */
export function parseEntry(line: string): { ok: true; entry: MlsxEntry } | { ok: false; why: string } {
  const space = line.indexOf(' ');
  if (space < 0) return { ok: false, why: `${JSON.stringify(line)} has no space between facts and name` };
  const factText = line.slice(0, space);
  const name = line.slice(space + 1);
  if (name === '') return { ok: false, why: `${JSON.stringify(line)} has no name` };
  if (!/^([^=;\s]+=[^;]*;)*$/.test(factText)) return { ok: false, why: `${JSON.stringify(line)}: the facts are not \`fact=value;\` pairs` };
  const facts = new Map<string, string>();
  for (const fact of factText.split(';').filter((f) => f !== '')) {
    const eq = fact.indexOf('=');
    facts.set(fact.slice(0, eq).toLowerCase(), fact.slice(eq + 1));
  }
  for (const [fact, rule] of Object.entries(FACT_VALUES)) {
    const value = facts.get(fact);
    if (value !== undefined && !rule.test(value)) return { ok: false, why: `${JSON.stringify(line)}: ${fact}=${value} is not a valid ${fact}` };
  }
  return { ok: true, entry: { facts, name } };
}

/** The mlsd check, on a session of its own. */
export async function ftpMlsdChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped(ID, RFC, opened.why)];
  const s = opened.session;
  try {
    return [await mlsd(s)];
  } finally {
    await s.quit();
  }
}

async function mlsd(s: FtpSession): Promise<Finding> {
  const feat = await s.command('FEAT');
  if (codeOf(feat) !== 211) return skipped(ID, RFC, `Not run: FEAT got ${said(feat)}, so it cannot say whether MLST is there (see ftp.feat).`, s.take());
  const listed = feat.ok && feat.value.raw.some((line) => /^ MLST\b/i.test(line));
  if (!listed) return skipped(ID, RFC, 'Not run: FEAT does not list MLST, so clients use LIST and parse its text (nothing to check).', s.take());
  const plan = await new DataOpener(s).open();
  if (!plan) return finding(ID, 'fail', RFC, 'No data connection could be opened for MLSD (EPSV, PASV and PORT failed; see ftp.pasv-connect).', s.take());
  const t = await s.transfer(plan, 'MLSD');
  if (!t.first.ok || t.first.value.code >= 200)
    return finding(
      ID,
      'fail',
      RFC,
      `FEAT lists MLST, but MLSD got ${said(t.first)} instead of 150: clients that trust FEAT cannot list directories.`,
      s.take(),
    );
  if (t.dataFailed) return finding(ID, 'fail', RFC, `MLSD got 150 but the data connection was never made (${t.dataFailed}).`, s.take());
  const code = codeOf(t.final);
  if (code !== 226 && code !== 250) return finding(ID, 'fail', RFC, `MLSD ended with ${said(t.final)} instead of 226.`, s.take());
  const lines = (t.data ?? Buffer.alloc(0))
    .toString('utf8')
    .split('\r\n')
    .filter((l) => l !== '');
  const entries: MlsxEntry[] = [];
  for (const line of lines) {
    const parsed = parseEntry(line);
    if (!parsed.ok)
      return finding(
        ID,
        'fail',
        RFC,
        `MLSD ended with ${code}, but an entry does not parse: ${parsed.why}; clients that rely on MLSD misread the listing.`,
        s.take(),
        lines.length,
      );
    entries.push(parsed.entry);
  }
  const untyped = entries.filter((e) => !e.facts.has('type')).map((e) => e.name);
  const file = entries.find((e) => e.facts.get('type')?.toLowerCase() === 'file');
  const mlstLine = file ? `MLST ${file.name}` : 'MLST';
  const mlst = await s.command(mlstLine);
  if (codeOf(mlst) !== 250)
    return finding(ID, 'fail', RFC, `MLSD works (${entries.length} entries), but ${mlstLine} got ${said(mlst)} instead of 250.`, s.take(), entries.length);
  const raw = mlst.ok ? mlst.value.raw : [];
  // RFC 3659 §7.2: the entry is the one line between the 250- and the final 250, after exactly one space.
  const inner = raw.slice(1, -1);
  const entryLine = inner.find((l) => / \S/.test(l.slice(0, 2)));
  if (inner.length !== 1 || entryLine === undefined)
    return finding(
      ID,
      'fail',
      RFC,
      `${mlstLine} got 250, but not one entry line starting with a space between the 250- and 250 lines (got ${inner.length}).`,
      s.take(),
      entries.length,
    );
  const entry = parseEntry(entryLine.slice(1));
  if (!entry.ok) return finding(ID, 'fail', RFC, `${mlstLine} got 250, but its entry does not parse: ${entry.why}.`, s.take(), entries.length);
  const facts = [...entry.entry.facts.keys()].join(', ');
  const what = `MLSD listed ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (150 … ${code}), each parsing; ${mlstLine} got 250 with one entry (facts: ${facts || 'none'})`;
  if (untyped.length > 0)
    return finding(
      ID,
      'warn',
      RFC,
      `${what}; but ${untyped.length} entr${untyped.length === 1 ? 'y has' : 'ies have'} no type fact (${untyped.slice(0, 3).join(', ')}): clients cannot tell files from directories.`,
      s.take(),
      entries.length,
    );
  return finding(ID, 'pass', RFC, `${what}.`, s.take(), entries.length);
}
