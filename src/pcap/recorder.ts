/**
 * pcapng files of proxied sessions, one per session, written as the session goes: each connection
 * (control, FTP data) as two TCP streams, interface 0 the client's leg (client↔proxy) and interface 1
 * the server's (proxy↔server), so a fault shows as the difference between them. A connection turned
 * away unrelayed (a session limit, a restart) has its file too, with the client's leg alone.
 *
 *   open (first connection) ─► file: Section Header, Interface Description 0 and 1
 *   open / bytes / fin / rst / close ─► TcpLeg ─► segments ─► Enhanced Packet Blocks
 *   bytes of a control connection ─► CredentialMasker first (the client's credentials as `*`)
 *   note (a `!!` line) ─► comment on the next packet   done ─► the last packet (trailing notes on it), file closed
 *   tls (a leg turned TLS) ─► no more masking on it    secrets (key log lines) ─► Decryption Secrets Block, at once
 */
import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Capture, CaptureEvent, Leg } from '../proxy/capture.js';
import { CredentialMasker } from './masker.js';
import { ipPacket, type Segment } from './packet.js';
import { LINKTYPE_RAW, decryptionSecrets, enhancedPacket, interfaceDescription, sectionHeader } from './pcapng.js';
import { type Side, TcpLeg } from './tcp-leg.js';

export interface RecorderOptions {
  /** The file a session's capture goes to. */
  readonly file: (session: number) => string;
  /** What ran, said in each file's section comment (scenario and client, or the serve command). */
  readonly label: string;
  /** Called with a line when a file cannot be written; default none. */
  readonly onError?: (message: string) => void;
}

const INTERFACE: Record<Leg, number> = { client: 0, server: 1 };

/** A packet held back until the next one, so notes that come after the last packet still land on it. */
interface Held {
  readonly iface: number;
  readonly micros: bigint;
  readonly packet: Buffer;
  readonly comments: string[];
}

/** One session's file. */
class SessionFile {
  readonly #out: WriteStream;
  readonly #legs = new Map<string, TcpLeg>();
  /** The control connection's legs: credentials in what the client sends are masked (./masker.ts). */
  readonly #maskers = new Map<string, CredentialMasker>();
  #notes: string[] = [];
  #held: Held | undefined;

  constructor(out: WriteStream, label: string, session: number) {
    this.#out = out;
    out.write(sectionHeader('wireprobe', [`wireprobe session ${session}: ${label}`]));
    out.write(interfaceDescription(LINKTYPE_RAW, 'client-proxy', 'the client and the proxy: what the client saw'));
    out.write(interfaceDescription(LINKTYPE_RAW, 'proxy-server', 'the proxy and the server: what the server saw'));
  }

  on(event: Exclude<CaptureEvent, { kind: 'done' }>): void {
    if (event.kind === 'note') return void this.#notes.push(event.text);
    // Ahead of the packet held back: it may be the very record these keys decrypt.
    if (event.kind === 'secrets') return void this.#out.write(decryptionSecrets(event.keylog));
    const key = `${event.conn.connection}/${event.leg}`;
    // TLS records from here on: ciphertext, with nothing to mask (a stray "PASS " in it is no command).
    if (event.kind === 'tls') return void this.#maskers.delete(key);
    if (event.kind === 'open') {
      const leg = new TcpLeg(event.proxy, event.peer, event.opener);
      this.#legs.set(key, leg);
      if (event.conn.connection === 0) this.#maskers.set(key, new CredentialMasker());
      return this.#write(event.leg, event.time, leg.open());
    }
    const leg = this.#legs.get(key);
    if (!leg) return;
    const from: Side = event.kind !== 'close' && event.direction === 'in' ? 'peer' : 'proxy';
    if (event.kind === 'bytes') this.#write(event.leg, event.time, leg.data(from, this.#masked(key, event.leg, from, event.bytes)));
    else if (event.kind === 'fin') this.#write(event.leg, event.time, leg.fin(from));
    else if (event.kind === 'rst') this.#write(event.leg, event.time, leg.rst(from));
    else if (!leg.reset && !leg.finished('proxy')) this.#write(event.leg, event.time, leg.fin('proxy'));
  }

  /** `bytes` as the capture shows them: on a control connection, client octets with credentials masked. */
  #masked(key: string, leg: Leg, from: Side, bytes: Buffer): Buffer {
    const masker = this.#maskers.get(key);
    if (!masker) return bytes;
    // The client's leg: the client is the peer; the server's leg: the proxy speaks for the client.
    const fromClient = (leg === 'client') === (from === 'peer');
    if (fromClient) return masker.up(bytes);
    masker.down(bytes);
    return bytes;
  }

  /** Writes what is held, with the notes no packet followed, and closes the file. */
  end(): Promise<void> {
    if (this.#held) this.#held.comments.push(...this.#notes.map((n) => `${n} (after this packet)`));
    this.#notes = [];
    this.#flush();
    return new Promise((resolve) => {
      this.#out.once('close', resolve);
      this.#out.end();
    });
  }

  #write(leg: Leg, time: number, segments: readonly Segment[]): void {
    const micros = BigInt(Math.round(time * 1000));
    for (const segment of segments) {
      this.#flush();
      this.#held = { iface: INTERFACE[leg], micros, packet: ipPacket(segment), comments: this.#notes };
      this.#notes = [];
    }
  }

  #flush(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    this.#out.write(enhancedPacket(held.iface, held.micros, held.packet, held.comments));
  }
}

/** Records each proxied session of one proxy to its own pcapng file; `capture` goes in ProxyOptions. */
export class PcapRecorder {
  readonly capture: Capture = (event) => this.#on(event);
  readonly #options: RecorderOptions;
  readonly #open = new Map<number, SessionFile>();
  readonly #closing: Promise<void>[] = [];

  constructor(options: RecorderOptions) {
    this.#options = options;
  }

  /** Ends every file still open and resolves once all are written. Never rejects: failures go to onError. */
  async close(): Promise<void> {
    for (const session of [...this.#open.keys()]) this.#done(session);
    await Promise.all(this.#closing);
  }

  #on(event: CaptureEvent): void {
    const session = 'session' in event ? event.session : event.conn.session;
    if (event.kind === 'done') return this.#done(session);
    let file = this.#open.get(session);
    if (!file && event.kind === 'open' && event.conn.connection === 0) {
      file = this.#start(session);
      if (file) this.#open.set(session, file);
    }
    file?.on(event);
  }

  #start(session: number): SessionFile | undefined {
    const path = this.#options.file(session);
    let reported = false;
    const failed = (error: NodeJS.ErrnoException): void => {
      if (!reported) this.#options.onError?.(`cannot write ${path}: ${error.code ?? error.message}`);
      reported = true;
    };
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      failed(error as NodeJS.ErrnoException);
      return undefined;
    }
    // Private, as a key log is: a TLS session's file carries its keys (and any file the message bodies).
    const out = createWriteStream(path, { mode: 0o600 });
    out.on('error', failed);
    return new SessionFile(out, this.#options.label, session);
  }

  #done(session: number): void {
    const file = this.#open.get(session);
    if (!file) return;
    this.#open.delete(session);
    this.#closing.push(file.end());
  }
}
