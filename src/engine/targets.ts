/**
 * The servers a run talks to through the proxy, as the runner sees them: where one listens, how to log
 * in (FTP), what it received (for integrity checks), and how to stop it. The engine starts none itself:
 * the command hands it a `Targets` registry (src/commands/targets.ts builds the built-in one: the mocks
 * and the real servers' launchers), the seam a user's own server plugs into.
 */
import { posix } from 'node:path';
import type { Family, FtpScenario, Protocol, ServerConfig, SmtpScenario } from './types.js';
import type { Digest } from '../util/digest.js';
import type { Content } from '../util/content.js';
import type { FtpMode } from '../clients/types.js';

/** What every target has, whatever its protocol. */
export interface TargetBase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /**
   * It holds each greeting for the scenario's `greetingDelayMs` itself (the mocks); otherwise the
   * runner has the proxy delay each connection by as much, so a burst still overlaps at the server.
   */
  readonly delaysGreeting: boolean;
  /**
   * A user's already-running server (`--target`): its pace, load and limits are its own, so a client that
   * timed out on its silence, no fault firing, is not judged (src/engine/own-silence.ts). Default: a
   * server wireprobe starts.
   */
  readonly external?: true;
  /** Started from the user's own config file: which, and what of it was overridden (copied into each result). */
  readonly config?: ServerConfig;
  /** Resolves once the server has settled after the clients left (mocks: no connection open). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpTarget extends TargetBase {
  /**
   * How many stored messages are each expected message (as sent, byte for byte), and how many are stored
   * in all: a real MTA delivers to its mailbox after the 250, so this first waits for its queue to drain,
   * which also catches a message it accepted while the client never saw the 250. `verifiable: false`:
   * there is no way to see what arrived (a user's server without a mailbox to read), the counts say nothing.
   * The mock compares digests; a real MTA's mailbox (trace headers before the message, LF line ends) is
   * compared by summaries, each message read a piece at a time (../util/stored-copies.ts).
   */
  copies(expected: readonly Content[]): Promise<{ readonly copies: readonly number[]; readonly stored: number; readonly verifiable?: false }>;
  /** The envelope the clients send with; default sender@wireprobe.test to sink@wireprobe.test. */
  readonly envelope?: { readonly from: string; readonly to: readonly string[] };
  /** SMTP AUTH credentials the clients log in with (a user's server); default none. Never shown. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** MAIL without AUTH gets 530 (RFC 4954 §6), as found when first reached: a client that cannot log in cannot deliver there. */
  readonly authRequired?: true;
  /**
   * Runs share the mailbox read for its copies (a user's server with `--maildir`): each run's messages
   * carry a tag of their own in the subject and Message-ID, so one run never counts another's copies
   * (a client that composes its own message is n/a there). Default: a mailbox per run, or none read.
   */
  readonly sharedMailbox?: true;
  /**
   * A user's server, whose limits are its own: a 552 it answers itself (no fault of the scenario's made
   * it) makes the run n/a, as a scenario over its advertised SIZE is, and so does a 421 it answers before
   * the fault could act (its connection limits); the text says what its EHLO told of its size limit (`its
   * EHLO advertises no SIZE`). Default: a server wireprobe configures.
   */
  readonly ownLimits?: string;
}

export interface FtpTarget extends TargetBase {
  /** `prefix`: put before every file name a run uses (a user's server: `wireprobe-...-`); default none. */
  readonly login: { readonly user: string; readonly password: string; readonly dir: string; readonly prefix?: string };
  /** The CA certificate (PEM) that issued the server's FTPS certificate, for the client to trust; absent: none known. */
  readonly ca?: string;
  /**
   * The size and SHA-256 of the file at remote `path`, read as a stream (an upload of any size is never
   * held whole), or undefined; `unreadable`: it is there, but the server will not let the login read it
   * back (a user's server), so the upload cannot be verified.
   */
  digest(path: string): Promise<Digest | undefined | 'unreadable'>;
  /**
   * Removes what the run left on the server before the verdict (a user's server: the uploads read back,
   * the files put for downloads) and says what could not be removed, for the result's reason; default none.
   */
  tidy?(): Promise<string | undefined>;
  /**
   * A user's server: what its own REST n before STOR does to a file (`corrupts`: it empties it first,
   * bftpd 4.9; absent when it keeps the file or nothing is known), checked once, on wireprobe's own
   * session and file, when an upload resumed that way came out changed; `left`: that file could not be
   * deleted. Default: not asked.
   */
  restStorCorrupts?(): Promise<{ readonly corrupts?: string; readonly left?: string }>;
}

/** A target, or why the scenario cannot run there (`n/a`). */
export type Started<T> = { readonly target: T } | { readonly na: string };

/** Every server a run may use, by name; starting one may answer `n/a` (not installed, cannot be set up). */
export interface Targets {
  /** The server names of `protocol`, its mock first. */
  names(protocol: Protocol): readonly string[];
  /**
   * Starts the SMTP server `name` set up for the scenario's knobs; `family` 6: listening on ::1 where it
   * can (the mocks and the real servers' launchers; a user's running server stays where it is).
   */
  startSmtp(name: string, scenario: SmtpScenario, family?: Family): Promise<Started<SmtpTarget>>;
  /**
   * Starts the FTP server `name`; `files` (names in the login's directory) are there from the start;
   * `family` as startSmtp's; `mode`: the client's data-connection mode (a user's server that refused it
   * when first reached makes the run n/a).
   */
  startFtp(name: string, scenario: FtpScenario, files: Readonly<Record<string, Content>>, family?: Family, mode?: FtpMode): Promise<Started<FtpTarget>>;
}

/**
 * One registry of several (the built-in servers, the user's own targets and configurations): each name
 * is started by the first registry that has it.
 */
export function combineTargets(...registries: readonly Targets[]): Targets {
  const owner = (protocol: Protocol, name: string): Targets => {
    const found = registries.find((r) => r.names(protocol).includes(name));
    if (!found) throw new Error(`unknown ${protocol} server "${name}"`);
    return found;
  };
  return {
    names: (protocol) => registries.flatMap((r) => r.names(protocol)),
    startSmtp: (name, scenario, family) => owner('smtp', name).startSmtp(name, scenario, family),
    startFtp: (name, scenario, files, family, mode) => owner('ftp', name).startFtp(name, scenario, files, family, mode),
  };
}

/** The protocol a server name belongs to in `targets`, or undefined for an unknown name. */
export function protocolOfServer(targets: Targets, name: string): Protocol | undefined {
  return (['smtp', 'ftp'] as const).find((p) => targets.names(p).includes(name));
}

/** A remote path inside the login's upload directory. */
export function remotePath(login: FtpTarget['login'], name: string): string {
  return posix.join(login.dir, `${login.prefix ?? ''}${name}`);
}
