/**
 * CHUNKING for the mock SMTP server (RFC 3030 §2, §3), which smtp-server lacks. `BDAT <size> [LAST]` is
 * followed by exactly <size> octets of message, never dot-stuffed and never read as commands. Those
 * octets are always read, whatever the answer (refused chunks are read and dropped: RFC 3030 §2 has the
 * server discard the chunks a pipelining client sent after a failed one); each chunk is answered once
 * its last octet is in, in command order:
 *
 *   BDAT n ─► parser in data mode, feed() takes n octets ─┬─ into the message stream ─► 250
 *                                                          └─ dropped ─► 503 (no MAIL, no RCPT, an earlier chunk failed)
 *   BDAT n LAST ─► … ─► stream end ─► onData (the same sink as DATA: size, SHA-256, spool) ─► its 250 or error
 *
 * The first accepted chunk of a transaction opens the message stream handed to the server's onData,
 * so a message is recorded once, when its LAST chunk is answered 250. A chunk that takes the message
 * over the size limit is dropped and answered by onData (552); the transaction has failed then, and
 * each later BDAT gets 503 until RSET. DATA in a transaction with a chunk gets 503 (./prompt-server.ts).
 * RSET, EHLO or the connection's end destroy an unfinished message: nothing of it is recorded.
 */
import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

type Done = Parameters<SMTPStream['_feedDataStream']>[1];

/** One BDAT command: its chunk's size in octets, and whether the chunk ends the message. */
export interface BdatCommand {
  readonly size: number;
  readonly last: boolean;
}

/**
 * Reads a BDAT command line (RFC 3030 §3: `"BDAT" SP chunk-size [ SP end-marker ]`, chunk-size 1*DIGIT,
 * end-marker "LAST", case-insensitive); undefined when it is not one, or its size is past 2^53.
 */
export function parseBdat(line: string): BdatCommand | undefined {
  const match = /^BDAT ([0-9]{1,15})( LAST)?$/i.exec(line.trim());
  if (!match) return undefined;
  return { size: Number(match[1]), last: match[2] !== undefined };
}

/** The message of the BDAT transaction under way: the stream onData reads, and onData's answer once it gives one. */
interface Message {
  readonly stream: SMTPServerDataStream;
  /** onData's answer: undefined until it calls back, then null (accepted) or its error. */
  verdict: Error | null | undefined;
  /** Called when onData calls back, if the answer is already awaited. */
  onVerdict: (() => void) | undefined;
}

/** What a chunk gets once its octets are read. */
type Answer = { readonly kind: 'refuse'; readonly code: number; readonly text: string } | { readonly kind: 'ok' } | { readonly kind: 'verdict' };

/** The chunk being read. */
interface Chunk {
  readonly size: number;
  readonly last: boolean;
  /** Octets still to read. */
  left: number;
  /** Where its octets go: the message stream, or nowhere (dropped). */
  readonly sink: SMTPServerDataStream | undefined;
  readonly answer: Answer;
}

/** An error smtp-server (and the mock's onData) turns into a reply with this code. */
interface ReplyError extends Error {
  readonly responseCode?: number;
}

/** The BDAT side of one mock SMTP connection: its transaction state and the chunk under way. */
export class BdatReceiver {
  readonly #connection: SMTPConnection;
  #message: Message | undefined;
  /** A chunk of this transaction failed: every later chunk is dropped and gets 503 until RSET (RFC 3030 §2). */
  #failed = false;
  #chunk: Chunk | undefined;

  /** `connection`: the smtp-server connection whose session, replies and onData the chunks use. */
  constructor(connection: SMTPConnection) {
    this.#connection = connection;
  }

  /** Whether a chunk's octets are being read: the parser's data mode is this receiver's, not DATA's. */
  get reading(): boolean {
    return this.#chunk !== undefined;
  }

  /** Whether a BDAT transaction is under way (a chunk taken or failed): DATA must get 503 (RFC 3030 §2). */
  get inTransaction(): boolean {
    return this.#message !== undefined || this.#failed;
  }

  /** handler_BDAT: reads the command, then has the parser hand it the chunk's octets (feed). */
  command(line: Buffer, parser: SMTPStream, callback: () => void): void {
    const conn = this.#connection;
    const parsed = parseBdat(line.toString('latin1'));
    if (!parsed) {
      // The octets that follow cannot be told from commands: they are read as commands (as Postfix does).
      conn.send(501, 'Error: syntax: BDAT chunk-size [LAST]');
      return callback();
    }
    const { mailFrom, rcptTo } = conn.session.envelope;
    let answer: Answer;
    let sink: SMTPServerDataStream | undefined;
    if (this.#failed) answer = { kind: 'refuse', code: 503, text: 'Error: an earlier chunk of this message failed, send RSET' };
    else if (!mailFrom) answer = { kind: 'refuse', code: 503, text: 'Error: need MAIL command' };
    else if (rcptTo.length === 0) answer = { kind: 'refuse', code: 503, text: 'Error: need RCPT command' };
    else {
      this.#message ??= this.#open();
      const stream = this.#message.stream;
      const limit = Number(conn._server.options.size) || 0;
      if (limit > 0 && stream.byteLength + parsed.size > limit) {
        // Dropped whole: onData sees the flag at the stream's end and answers 552.
        stream.sizeExceeded = true;
        answer = { kind: 'verdict' };
      } else {
        sink = stream;
        answer = parsed.last ? { kind: 'verdict' } : { kind: 'ok' };
      }
    }
    this.#chunk = { ...parsed, left: parsed.size, sink, answer };
    if (parsed.size === 0) return this.#finish(callback);
    parser._dataMode = true;
    callback();
  }

  /** SMTPStream._feedDataStream while `reading`: takes the chunk's octets, then gives the parser back the rest. */
  feed(parser: SMTPStream, data: Buffer, done: Done): void {
    const chunk = this.#chunk!;
    const take = Math.min(chunk.left, data.length);
    chunk.left -= take;
    const next = (): void => {
      if (chunk.left > 0) return done();
      parser._dataMode = false;
      parser._remainder = '';
      const rest = data.subarray(take);
      this.#finish(() => parser._write(rest, 'buffer', done));
    };
    const sink = chunk.sink;
    if (!sink || take === 0) return next();
    sink.byteLength += take;
    if (!sink.writable) return next();
    if (sink.write(data.subarray(0, take)) || sink.destroyed) return next();
    // A stream destroyed meanwhile never drains, it only closes.
    const onDrain = (): void => {
      sink.removeListener('drain', onDrain);
      sink.removeListener('close', onDrain);
      next();
    };
    sink.once('drain', onDrain);
    sink.once('close', onDrain);
  }

  /** RSET, EHLO, HELO and the end of a transaction: the transaction is forgotten, an unfinished message destroyed. */
  reset(): void {
    const stream = this.#message?.stream;
    if (stream && !stream.writableEnded && !stream.destroyed) stream.destroy();
    this.#message = undefined;
    this.#failed = false;
  }

  /** A new message stream, handed to the server's onData as DATA's is. */
  #open(): Message {
    const conn = this.#connection;
    const stream = new PassThrough() as SMTPServerDataStream;
    stream.byteLength = 0;
    stream.sizeExceeded = false;
    const message: Message = { stream, verdict: undefined, onVerdict: undefined };
    conn._server.onData(stream, conn.session, (error) => {
      message.verdict = error ?? null;
      message.onVerdict?.();
    });
    return message;
  }

  /** Answers the chunk just read; `resume` goes on with what the client sent after it. */
  #finish(resume: () => void): void {
    const conn = this.#connection;
    const chunk = this.#chunk!;
    this.#chunk = undefined;
    // Not at once: pipelined chunks would nest parser._write calls as deep as there are chunks.
    const goOn = (): void => void setImmediate(resume);
    const { answer } = chunk;
    if (answer.kind === 'refuse') {
      conn.send(answer.code, answer.text);
      return goOn();
    }
    if (answer.kind === 'ok') {
      conn.send(250, `${chunk.size} octets received`);
      return goOn();
    }
    const message = this.#message!;
    const reply = (): void => {
      const error = message.verdict as ReplyError | null;
      if (error) conn.send(error.responseCode ?? 450, error.message);
      else conn.send(250, 'OK: message queued');
      if (chunk.last) {
        // As smtp-server after DATA's reply: the transaction is over, whatever the answer.
        conn._transactionCounter++;
        conn._resetSession();
      } else {
        this.#message = undefined;
        this.#failed = true;
      }
      goOn();
    };
    message.stream.end();
    if (message.verdict !== undefined) return reply();
    message.onVerdict = reply;
  }
}
