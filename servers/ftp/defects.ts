/**
 * The mock FTP server's command filter: planted defects the fault proxy cannot plant (it can drop,
 * delay, rewrite and answer in the server's place, but not change what the server supports), plus
 * EPSV ALL, which ftp-srv ignores, and REST's rules. Each line passes here before ftp-srv sees it:
 *
 *   line ─► CommandFilter.handle ─► answered here (a defect, EPSV ALL, an over-limit login)
 *                                └─► undefined: ftp-srv handles it as usual
 */
import { createRequire } from 'node:module';
import type { Conn } from './internals.js';

/** The knobs the filter reads (see FtpServerOptions for each one's meaning and default). */
export interface FilterOptions {
  readonly epsv: 'on' | 'off' | 'unknown';
  readonly epsvAllRefuses: readonly ('PASV' | 'PORT' | 'EPRT')[];
  readonly sizeCommand: 'on' | 'off' | 'advertised-only';
  readonly restRule: 'lenient' | 'binary-only' | 'immediate' | 'off';
  readonly optsUtf8: 'accept' | 'refuse';
  /** Without FTPS (`off`) FEAT leaves out AUTH TLS, PBSZ and PROT (RFC 2389 §3: list only what works). */
  readonly tls: 'off' | 'explicit' | 'implicit';
}

/** The commands a REST may come right before (RFC 3659 §5.3: it must immediately precede the transfer). */
const AFTER_REST: ReadonlySet<string> = new Set(['RETR', 'STOR', 'APPE', 'STOU']);

/** ftp-srv's command registry: FEAT is built from its `flags.feat` entries. */
const REGISTRY = createRequire(createRequire(import.meta.url).resolve('ftp-srv'))('./src/commands/registry') as Record<string, { flags?: { feat?: string } }>;

/** The FEAT lines ftp-srv sends (RFC 2389 §3.2: one feature per line, indented by one space), minus `omit`, plus `add`. */
export function features(omit: ReadonlySet<string>, add: readonly string[] = []): string[] {
  const all = Object.values(REGISTRY).flatMap((c) => (c.flags?.feat ? [c.flags.feat] : []));
  return ['UTF8', ...all, ...add].filter((f) => !omit.has(f.split(' ')[0] ?? f)).sort();
}

/** One control connection's filter. `overLimit`: the session is over a limit refused at PASS (530). */
export class CommandFilter {
  #epsvAll = false;
  #binary = false;
  #afterRest = false;
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
    const afterRest = this.#afterRest;
    this.#afterRest = verb === 'REST';
    // No resuming at all, as Twisted's FTP server: REST and APPE are not implemented (and FEAT has no REST STREAM).
    if ((verb === 'REST' || verb === 'APPE') && this.o.restRule === 'off') return connection.reply(502, `Command '${verb}' not implemented`);
    if (verb === 'REST' && this.o.restRule === 'binary-only' && !this.#binary) return connection.reply(504, 'REST not allowed in ASCII mode');
    if (afterRest && this.o.restRule === 'immediate' && !AFTER_REST.has(verb)) {
      // The restart marker is dropped, as by servers that take REST to belong to the very next command.
      (connection as Conn & { restByteCount?: number }).restByteCount = 0;
      return connection.reply(503, 'REST must be followed by RETR, STOR or APPE; restart cancelled');
    }
    if (verb === 'EPSV') {
      if (this.o.epsv === 'off') return connection.reply(502, 'EPSV not implemented');
      if (this.o.epsv === 'unknown') return connection.reply(500, `'${line.trim()}': command not understood`);
      if (arg.toUpperCase() === 'ALL') {
        this.#epsvAll = true;
        return connection.reply(200, 'EPSV ALL ok');
      }
    }
    // Only the refusals EPSV ALL is given to enforce (all three by default, RFC 2428 §4).
    if (this.#epsvAll && (this.o.epsvAllRefuses as readonly string[]).includes(verb)) return connection.reply(550, `${verb} not allowed after EPSV ALL`);
    if (verb === 'SIZE' && this.o.sizeCommand !== 'on') return connection.reply(502, 'SIZE not implemented');
    if (verb === 'OPTS' && /^UTF-?8\b/i.test(arg) && this.o.optsUtf8 === 'refuse') return connection.reply(501, 'OPTS: UTF8 is always on');
    if (verb === 'TYPE') this.#binary = /^[IL]/i.test(arg);
    const rest = this.o.restRule === 'binary-only' || this.o.restRule === 'immediate';
    const omit = new Set([...(this.o.sizeCommand === 'off' ? ['SIZE'] : []), ...(this.o.tls === 'off' ? ['AUTH', 'PBSZ', 'PROT'] : [])]);
    if (verb === 'FEAT' && (omit.size > 0 || rest || this.o.restRule === 'off')) {
      const lines = features(omit, rest ? ['REST STREAM'] : []).map((f) => ({ message: ` ${f}`, raw: true }));
      return (connection.reply as (code: number, ...letters: unknown[]) => PromiseLike<unknown>)(211, 'Extensions supported', ...lines, 'End');
    }
    return undefined;
  }
}
