/**
 * Reply: the proxy answers in the server's place (e.g. `421` at the greeting, `552` mid-body, `454`
 * to STARTTLS), then goes on, closes or resets. Replies are formatted per RFC 5321 §4.2.
 * Replies keep their order (RFC 2920 §3.1, §3.2): at a `before X` trigger, if the client pipelined
 * commands before X that the server has not answered yet, the reply waits for those answers, and
 * `then` acts after it (src/proxy/reply-order.ts); with `close` or `reset` nothing more reaches the server.
 * Elsewhere (`after` triggers, in place of a server reply) it is sent when the trigger fires.
 */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { int } from './cursor.js';

/**
 * Answer in the server's place. At a `{ before: X }` trigger the command is swallowed and this reply
 * is the answer; elsewhere it is injected. Then `continue` relaying, `close` (FIN) or `reset` (RST).
 */
export interface ReplyFault extends FaultBase {
  readonly kind: 'reply';
  readonly code: number;
  /** Reply text. Default: a short text for the code. */
  readonly text?: string;
  /** Default `close`. */
  readonly then?: 'continue' | 'close' | 'reset';
}

const DEFAULT_TEXT: Readonly<Record<number, string>> = {
  421: 'Service not available, closing transmission channel',
  450: 'Requested mail action not taken: mailbox unavailable',
  451: 'Requested action aborted: local error in processing',
  452: 'Requested action not taken: insufficient system storage',
  454: 'TLS not available due to temporary reason',
  550: 'Requested action not taken: mailbox unavailable',
  552: 'Requested mail action aborted: exceeded storage allocation',
  554: 'Transaction failed',
};

/** The reply line the fault sends: `CODE text CRLF`. */
export function replyLine(fault: Pick<ReplyFault, 'code' | 'text'>): Buffer {
  const text = fault.text ?? DEFAULT_TEXT[fault.code] ?? 'wireprobe fault';
  return Buffer.from(`${fault.code} ${text}\r\n`, 'latin1');
}

/** Sends the reply to the faulted side, in place of the caught command's own reply. */
export function applyReply(fault: ReplyFault, link: Link): void {
  const toward = fault.toward ?? 'client';
  link.swallow();
  link.inject(toward, replyLine(fault));
  const then = fault.then ?? 'close';
  if (then === 'close') link.close(toward, 'discard');
  else if (then === 'reset') link.reset(toward);
}

/** A reply text in double quotes, with `"` and `\\` escaped. */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** The `reply` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const REPLY: FaultDescriptor<ReplyFault> = {
  kind: 'reply',
  scope: 'connection',
  trigger: 'required',
  syntax: 'reply <code> ["text"]',
  help: "answer in the server's place, then close (the default), continue or reset; a command caught by a before trigger is never relayed",
  example: 'reply 552 "5.3.4 Too big" after DATA +1MiB then close',
  options: [{ word: 'then', choices: ['continue', 'close', 'reset'] }],
  optionalArg: ['text', '"quoted text"'],
  // Evaluated in this order: the code, then the text.
  args: (c) => ({ code: c.value('a reply code 100..599', int, (n) => n >= 100 && n <= 599), text: c.quotedText() }),
  format: (f) => [String(f.code), ...(f.text === undefined ? [] : [quoted(f.text)])],
  apply: applyReply,
};
