/**
 * The mock FTP server's command filter: planted defects the fault proxy cannot plant (it can drop,
 * delay, rewrite and answer in the server's place, but not change what the server supports), plus
 * EPSV ALL, which ftp-srv ignores. Each line passes here before ftp-srv sees it:
 *
 *   line ─► CommandFilter.handle ─► answered here (a defect, EPSV ALL, an over-limit login)
 *                                └─► undefined: ftp-srv handles it as usual
 */
import { createRequire } from 'node:module';
import type { Conn } from './internals.js';

/** The knobs the filter reads (see FtpServerOptions for each one's meaning and default). */
export interface FilterOptions {
  readonly epsv: 'on' | 'off' | 'unknown';
  readonly sizeCommand: 'on' | 'off' | 'advertised-only';
}

/** ftp-srv's command registry: FEAT is built from its `flags.feat` entries. */
const REGISTRY = createRequire(createRequire(import.meta.url).resolve('ftp-srv'))('./src/commands/registry') as Record<string, { flags?: { feat?: string } }>;

/** The FEAT lines ftp-srv sends (RFC 2389 §3.2: one feature per line, indented by one space), minus `omit`. */
export function features(omit: ReadonlySet<string>): string[] {
  const all = Object.values(REGISTRY).flatMap((c) => (c.flags?.feat ? [c.flags.feat] : []));
  return ['UTF8', ...all].filter((f) => !omit.has(f.split(' ')[0] ?? f)).sort();
}

/** Commands that set up a data connection other than EPSV: refused after EPSV ALL (RFC 2428 §4). */
const NOT_AFTER_EPSV_ALL: ReadonlySet<string> = new Set(['PASV', 'PORT', 'EPRT']);

/** One control connection's filter. `overLimit`: the session is over a limit refused at PASS (530). */
export class CommandFilter {
  #epsvAll = false;
  constructor(
    private readonly o: FilterOptions,
    private readonly overLimit?: string,
  ) {}

  /** Answers `line` itself and returns the reply's promise, or returns undefined for ftp-srv to handle. */
  handle(connection: Conn, line: string): PromiseLike<unknown> | undefined {
    const m = /^\s*(\S+)\s*(.*)$/.exec(line);
    const verb = m?.[1]?.toUpperCase() ?? '';
    const arg = m?.[2]?.trim() ?? '';
    if (this.overLimit !== undefined) {
      // proftpd MaxClients: greeted as usual, refused at PASS with 530, then closed.
      if (verb === 'USER') return connection.reply(331, `Password required for ${arg}`);
      if (verb === 'PASS') return connection.close(530, this.overLimit);
    }
    if (verb === 'EPSV') {
      if (this.o.epsv === 'off') return connection.reply(502, 'EPSV not implemented');
      if (this.o.epsv === 'unknown') return connection.reply(500, `'${line.trim()}': command not understood`);
      if (arg.toUpperCase() === 'ALL') {
        this.#epsvAll = true;
        return connection.reply(200, 'EPSV ALL ok');
      }
    }
    if (this.#epsvAll && NOT_AFTER_EPSV_ALL.has(verb)) return connection.reply(550, `${verb} not allowed after EPSV ALL`);
    if (verb === 'SIZE' && this.o.sizeCommand !== 'on') return connection.reply(502, 'SIZE not implemented');
    if (verb === 'FEAT' && this.o.sizeCommand === 'off') {
      const lines = features(new Set(['SIZE'])).map((f) => ({ message: ` ${f}`, raw: true }));
      return (connection.reply as (code: number, ...letters: unknown[]) => PromiseLike<unknown>)(211, 'Extensions supported', ...lines, 'End');
    }
    return undefined;
  }
}
