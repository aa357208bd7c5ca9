/**
 * What the proxy needs from a protocol, whichever it is: a tracker that marks where commands and
 * replies end in each chunk, and a view of where the client is. SMTP (./smtp.ts) and FTP's control
 * connection (./ftp.ts) implement both.
 */
import { FTP_VERBS, type FtpMark } from './ftp.js';
import type { Direction } from './direction.js';
import { BDAT_LAST, SMTP_VERBS, type SmtpMark } from './smtp.js';

export type { Direction };

/** A point in a fed chunk: a command, a reply, body octets or the end of data. */
export type Mark = SmtpMark | FtpMark;

/** Marks commands and replies in both directions of one connection. */
export interface Tracker {
  feed(direction: Direction, chunk: Buffer): Mark[];
  /** Octets of an unfinished client line. */
  readonly partialCommandBytes: number;
  /** Octets of a reply still in progress. */
  readonly partialReplyBytes: number;
  /** The proxy answered `step` itself: the server will not reply to it. */
  forget(step: string): void;
}

/** Where the client is, as it sees it. */
export interface View {
  /** The step the client waits on, or the last one answered. */
  readonly phase: string;
  readonly lastCode: number | undefined;
  /**
   * SMTP: each failure code (4xx, 5xx) the client was shown, with the phase of the step its last such
   * reply answered: where a `reply` outcome happened, whatever the client sent after it (QUIT, RSET).
   */
  readonly failures?: Readonly<Record<number, string>>;
  /**
   * The client sent a command after the last reply it was shown, a failure (not a 421), other than
   * QUIT (SMTP: nor RSET or NOOP, which only tidy up after it): it went on past that reply (lftp past a
   * 503 to its FEAT before USER; JavaMail's HELO after a 502 to EHLO), so the reply is not what it
   * stopped on. The next reply clears it.
   */
  readonly movedOn?: boolean;
  readonly violations: readonly string[];
  /** SMTP: messages acknowledged (2xx to the dot). FTP: transfers completed (2xx to STOR, RETR...). */
  readonly accepted: number;
  /** SMTP: transactions begun (MAIL). FTP: transfer commands sent. */
  readonly transactions: number;
  /**
   * Steps the client sent (commands, SMTP's end of data) whose final reply it has not been shown: 0
   * when it was answered everything it asked, and acting next (a command, the body, its close) is its turn.
   */
  readonly awaiting: number;
  /**
   * FTP: the client sent QUIT and was shown its reply: the server's FIN after it is the session's end,
   * not a cut (the phase stays where the client was before QUIT). SMTP's phase is `quit` then.
   */
  readonly quitAnswered?: boolean;
  sent(mark: Mark): void;
  shown(mark: Mark): void;
  /** The proxy sent the client a reply with `code` in place of the reply to `step` (none: at a trigger of its own). */
  told(code: number, step?: string): void;
  replaced(mark: Mark): void;
  /** The client ended its connection (FIN or RST): what reaches it later cannot have moved it. */
  left?(): void;
  /**
   * SMTP: the client sent `mark`, a command, after the proxy's FIN, behind a reply (not pipelined): not
   * a step it reached, as it was never relayed, but it went on past that reply (see movedOn) when that
   * reply answered a step it had to wait for. (FTP has no such rule: lftp sends PWD right behind PASS.)
   */
  wentOn?(mark: Mark): void;
}

/**
 * The step a client's command or dot mark is, as the reply to it is named (`dot`, `BDAT LAST`, the
 * verb); '' for other marks. The proxy names it when it answers the step itself (Tracker.forget).
 */
export function stepOf(mark: Mark): string {
  if (mark.kind === 'dot') return 'dot';
  if (mark.kind !== 'command') return '';
  return 'last' in mark && mark.last ? BDAT_LAST : mark.verb;
}

/** Steps a session keeps besides the ones its protocol defines: the first a client invents (see Steps). */
export const MAX_OTHER_STEPS = 32;

/** The steps SMTP and FTP define, as a session records them: their commands' verbs, and SMTP's end of data. */
const DEFINED_STEPS: ReadonlySet<string> = new Set([...SMTP_VERBS, ...FTP_VERBS, 'dot']);

/**
 * The steps a client sent in one session (command verbs, `dot`): every one SMTP or FTP defines, and the
 * first MAX_OTHER_STEPS others. A client that sends a new made-up verb with every line cannot make its
 * session grow without bound, and the steps verdicts ask about (QUIT, AUTH, PASS, DATA...) are always kept.
 */
export class Steps implements Iterable<string> {
  readonly #kept = new Set<string>();
  #others = 0;

  add(step: string): void {
    if (this.#kept.has(step)) return;
    if (!DEFINED_STEPS.has(step)) {
      if (this.#others === MAX_OTHER_STEPS) return;
      this.#others++;
    }
    this.#kept.add(step);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#kept.values();
  }
}
