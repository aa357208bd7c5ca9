/**
 * Text on its way to a terminal. Whatever a peer sends (a greeting, an EHLO line, an FTP reply, a
 * client's command) may carry escape sequences that clear the screen, retitle the window or forge
 * lines; every such text passes through `visible` (one line, every control character escaped) and
 * `capped` (a bounded number of lines and octets) before it reaches stdout or stderr.
 */

/**
 * Escapes every control character (C0, DEL, C1; CR `\r`, LF `\n`, TAB `\t`, others `\xNN`/`\u00NN`)
 * and the Unicode line and bidi-override characters, so the text is inert and stays on one line.
 */
export function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Limits of `capped`. */
export interface CapLimits {
  /** Lines kept; default 40. */
  readonly maxLines?: number;
  /** Characters kept per line; default 500. */
  readonly maxLineChars?: number;
  /** Characters kept over all lines; default 8000. */
  readonly maxChars?: number;
}

/**
 * Lines made safe for a terminal: each escaped (`visible`) and cut to `maxLineChars` (`… (N chars)`),
 * at most `maxLines` of them and `maxChars` in all, the rest counted in a last `… N more lines` line.
 */
export function capped(lines: readonly string[], limits: CapLimits = {}): string[] {
  const { maxLines = 40, maxLineChars = 500, maxChars = 8000 } = limits;
  const out: string[] = [];
  let total = 0;
  for (const [i, raw] of lines.entries()) {
    const line = visible(raw);
    const cut = line.length <= maxLineChars ? line : `${line.slice(0, maxLineChars)}… (${line.length} chars)`;
    if (i >= maxLines || total + cut.length > maxChars) {
      const rest = lines.length - i;
      out.push(`… ${rest} more line${rest === 1 ? '' : 's'}`);
      break;
    }
    out.push(cut);
    total += cut.length;
  }
  return out;
}

/** One text (possibly many lines) for one terminal line or a few: split at line ends, `capped`, rejoined. */
export function forTerminal(text: string, limits?: CapLimits): string {
  return capped(text.split(/\r?\n/), limits).join('\n');
}

/**
 * A user's or peer's value for a one-line message: double-quoted, escaped (`visible`, `"` and `\`), and
 * cut to `max` characters with its length noted, so a 100k-character value is not echoed whole.
 */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const body = visible(cut.replace(/[\\"]/g, (c) => `\\${c}`));
  return text.length > max ? `"${body}…" (${text.length} chars)` : `"${body}"`;
}
