/**
 * Credentials masked in a capture's control connection: each octet of a PASS or ACCT argument, of an
 * AUTH initial response and of every SASL line becomes `*` (same length, so sequence numbers and
 * lengths still add up). Which commands carry a credential is src/util/redact.ts's rule, as in the
 * transcripts. A streaming scanner: the octets of a line may come in any number of chunks, and a chunk
 * may hold several lines (pipelining), so the state is carried from chunk to chunk and a credential is
 * masked as soon as its first octet arrives. Pure: no sockets.
 *
 *   up   (client → server) ─► line start: verb (Telnet commands skipped) ─► visible words ─► `*` to LF
 *   down (server → client) ─► replies, matched oldest-first to commands: AUTH → 334 keeps SASL lines secret,
 *                             DATA → 354 starts a body (never masked), STARTTLS → 220 / AUTH → 234: TLS, done
 *        `BDAT n [LAST]` ─► the next n octets are chunk data (RFC 3030 §2: never lines, never masked)
 */
import { ftpCommandVerb } from '../protocol/ftp.js';
import { stripTelnetText } from '../protocol/telnet.js';
import { SASL_CHALLENGE, wordsBeforeSecret } from '../util/redact.js';

const LF = 0x0a;
const CR = 0x0d;
const STAR = 0x2a;
/** A line head this long without a whole verb is no command with a credential. */
const MAX_HEAD = 64;
/** RFC 5321 §4.1.1.4: the line that ends a message body. */
const END_OF_DATA = ['.\r\n', '.\n'];

type UpState =
  /** Reading a line's first octets to find its verb. */
  | { readonly kind: 'head'; head: string }
  /** Past the verb: `words` more visible words, then the rest of the line is secret. */
  | { readonly kind: 'words'; words: number; inWord: boolean }
  | { readonly kind: 'secret' }
  /** The rest of the line is shown as it is. */
  | { readonly kind: 'plain' }
  /** The rest of a `BDAT n [LAST]` line, for its chunk size. */
  | { readonly kind: 'bdat'; line: string }
  /** Reading a body line's first octets, to see the end of data. */
  | { readonly kind: 'bodyHead'; head: string }
  | { readonly kind: 'body' };

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x09;

/** Masks one TCP leg of a control connection (SMTP or FTP: the rules do not collide). */
export class CredentialMasker {
  #up: UpState = { kind: 'head', head: '' };
  /** Steps awaiting their final reply, oldest first: `greeting`, then upper-case verbs. */
  #awaiting: string[] = ['greeting'];
  /** From an AUTH command until its final reply, every client line is SASL data (RFC 4954 §4). */
  #sasl = false;
  /** The last final reply's code: a line sent while it is 334 is SASL data whatever the matching says. */
  #lastCode = 0;
  /** A 354 came before the client line in progress ended: the body starts at the next line. */
  #bodyNext = false;
  /** Octets of BDAT chunk data still to come: passed as they are (binary, no lines, no commands). */
  #chunkLeft = 0;
  /** After STARTTLS → 220 or AUTH → 234 the stream is TLS: ciphertext, nothing to scan. */
  #opaque = false;
  #reply = '';
  /** The code of a multi-line reply in progress (RFC 959 §4.2). */
  #open: string | undefined;

  /** Client octets as the capture shows them: a copy with credentials masked, or `bytes` itself. */
  up(bytes: Buffer): Buffer {
    if (this.#opaque) return bytes;
    let out: Buffer | undefined;
    for (let i = 0; i < bytes.length; i++) {
      if (this.#chunkLeft > 0) {
        const skip = Math.min(this.#chunkLeft, bytes.length - i);
        this.#chunkLeft -= skip;
        i += skip - 1;
        continue;
      }
      const byte = bytes[i]!;
      if (byte === LF) {
        this.#lineEnd();
        continue;
      }
      if (this.#secret(byte)) {
        out ??= Buffer.from(bytes);
        out[i] = STAR;
      }
    }
    return out ?? bytes;
  }

  /** Server octets: read for the replies that open and close SASL exchanges, bodies and TLS. */
  down(bytes: Buffer): void {
    for (let i = 0; i < bytes.length && !this.#opaque; i++) {
      const byte = bytes[i]!;
      if (byte !== LF) {
        if (this.#reply.length < MAX_HEAD) this.#reply += String.fromCharCode(byte);
        continue;
      }
      this.#replyLine(this.#reply);
      this.#reply = '';
    }
  }

  /** Whether `byte` (not LF) of the current client line is secret; advances the state. */
  #secret(byte: number): boolean {
    const up = this.#up;
    switch (up.kind) {
      case 'secret':
        return byte !== CR;
      case 'plain':
      case 'body':
        return false;
      case 'bdat':
        if (up.line.length < MAX_HEAD) up.line += String.fromCharCode(byte);
        return false;
      case 'bodyHead':
        up.head += String.fromCharCode(byte);
        if (!END_OF_DATA.some((end) => end.startsWith(up.head))) this.#up = { kind: 'body' };
        return false;
      case 'words':
        if (up.words === 0) return byte !== CR;
        if (!isSpace(byte)) up.inWord = true;
        else if (up.inWord) {
          up.words--;
          up.inWord = false;
        }
        return false;
      case 'head':
        return this.#head(up, byte);
    }
  }

  /** A line's first octets: the verb is whole at the first octet after its letters (Telnet commands skipped). */
  #head(up: { head: string }, byte: number): boolean {
    if (this.#sasl || this.#lastCode === SASL_CHALLENGE) {
      this.#up = { kind: 'secret' };
      return byte !== CR;
    }
    up.head += String.fromCharCode(byte);
    const text = stripTelnetText(up.head);
    if (/^\s*[A-Za-z]+[^A-Za-z]/.test(text)) {
      const verb = ftpCommandVerb(up.head);
      this.#command(verb);
      const words = wordsBeforeSecret(verb);
      // The octet after the verb (a space) is shown; the visible words and the secret follow it.
      if (verb === 'BDAT') this.#up = { kind: 'bdat', line: '' };
      else this.#up = words === undefined ? { kind: 'plain' } : { kind: 'words', words, inWord: false };
    } else if (/^\s*[^A-Za-z\s]/.test(text) || up.head.length >= MAX_HEAD) {
      // No command with a credential, but a line the server still answers.
      this.#command(ftpCommandVerb(up.head));
      this.#up = { kind: 'plain' };
    }
    return false;
  }

  #lineEnd(): void {
    const up = this.#up;
    if (up.kind === 'bdat') this.#chunkLeft = Number(/^\s*(\d{1,15})\b/.exec(up.line)?.[1] ?? 0);
    if (up.kind === 'head' && !this.#sasl && this.#lastCode !== SASL_CHALLENGE && up.head !== '') this.#command(ftpCommandVerb(up.head));
    else if (up.kind === 'bodyHead' && END_OF_DATA.some((end) => end.startsWith(`${up.head}\n`))) {
      this.#awaiting.push('dot');
      this.#up = { kind: 'head', head: '' };
      return;
    }
    const inBody = up.kind === 'body' || up.kind === 'bodyHead';
    this.#up = inBody || this.#bodyNext ? { kind: 'bodyHead', head: '' } : { kind: 'head', head: '' };
    this.#bodyNext = false;
  }

  /** A client command: its reply is awaited; AUTH starts a SASL exchange. */
  #command(verb: string): void {
    this.#awaiting.push(verb);
    if (verb === 'AUTH') this.#sasl = true;
  }

  #replyLine(line: string): void {
    const code = /^(\d{3})([ -]|\r?$)/.exec(line);
    if (this.#open !== undefined) {
      if (code?.[1] === this.#open && code[2] !== '-') this.#open = undefined;
      else return;
    } else if (!code) return;
    else if (code[2] === '-') {
      this.#open = code[1];
      return;
    }
    this.#final(Number(code?.[1]));
  }

  /** A final reply: it answers the oldest step awaiting one (a 1xx is preliminary, RFC 959 §4.2). */
  #final(code: number): void {
    if (code >= 100 && code < 200) return;
    this.#lastCode = code;
    const to = this.#awaiting[0];
    if (to === 'AUTH' && code === SASL_CHALLENGE) return;
    this.#awaiting.shift();
    if (to === 'AUTH') this.#sasl = false;
    if ((to === 'STARTTLS' && code === 220) || (to === 'AUTH' && code === 234)) this.#opaque = true;
    // The client sends the body after the 354, at a line start: the next line is the body's first.
    if (to === 'DATA' && code === 354) this.#startBody();
  }

  #startBody(): void {
    const up = this.#up;
    if (up.kind === 'head' && up.head === '') this.#up = { kind: 'bodyHead', head: '' };
    else this.#bodyNext = true;
  }
}
