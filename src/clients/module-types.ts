/**
 * What a user's own client module exports (`--client ./my-client.mjs`): the shapes a module author
 * types against, and `defineClient`, which only checks them. The same job shapes the in-process
 * adapters get (src/clients/types.ts).
 */
import type { Content } from '../util/content.js';
import type { Digest } from '../util/digest.js';
import type { FtpJob, FtpMode, SmtpJob } from './types.js';

/**
 * What a module's `send` is given: the job, with its message whole in `message` (made when first read).
 * A module that streams a large message reads `content.stream()` instead and never makes it whole.
 */
export interface ModuleSmtpJob extends Omit<SmtpJob, 'content'> {
  /** The raw RFC 5322 message, CRLF line endings, whole: send it as it is. */
  readonly message: Buffer;
  /** The same message as it is made (see SmtpJob.content): always given by wireprobe, optional so a job built by hand (a module's own test) needs only `message`. */
  readonly content?: Content;
}

/** What a module's `transfer` is given: the job, with an upload's content whole in `data` (made when first read). */
export interface ModuleFtpJob extends Omit<FtpJob, 'content'> {
  /** The upload's content, whole (empty for downloads). */
  readonly data: Buffer;
  /** The same as it is made (see FtpJob.content): always given by wireprobe, optional as ModuleSmtpJob's. */
  readonly content?: Content;
}

/**
 * What `transfer()` resolves with for a download: the file's content, or its size and SHA-256 (lowercase
 * hex) when the module streamed it elsewhere. An upload's value is not read.
 */
export type ModuleDownload = Buffer | Uint8Array | Digest;

/**
 * A client module. Resolving means the client reported success; throwing or rejecting means it reported
 * failure, read by the error's codes (never its text). `signal` aborts at the runner's deadline: stop
 * then, and close what you opened.
 */
export interface ModuleClient {
  /** Sends one message; resolve with anything (a string, or an object with a string `response`, becomes the report's detail). */
  readonly send?: (job: ModuleSmtpJob, signal: AbortSignal) => unknown;
  /** Moves one file; for a download resolve with its content or its digest. */
  readonly transfer?: (job: ModuleFtpJob, signal: AbortSignal) => unknown;
  /** The client's name in ids, reports and `--client`; default: the file's base name without extension. */
  readonly name?: string;
  /** One line on what this client is; default: the file it was loaded from. */
  readonly description?: string;
  /** FTP: the data-connection modes `transfer` can use, each run separately; default `['passive']`. */
  readonly modes?: readonly FtpMode[];
  /** FTP: the directions `transfer` can move a file in; default both (a scenario in another is `n/a`). */
  readonly directions?: readonly FtpJob['direction'][];
  /**
   * SMTP: `own` when `send` sends a message your application composes, not `job.message`: what the
   * server stored is then counted (none lost, none twice), not compared octet for octet; default `given`.
   */
  readonly message?: 'given' | 'own';
}

/** Returns `client` as is: it only gives a module's default export its types. */
export function defineClient<T extends ModuleClient>(client: T): T {
  return client;
}
