/**
 * The JSON report: the machine-readable contract users' CI scripts read. Key names and order are part
 * of that contract; the transcript is left out (it goes to the transcript files and JUnit system-out).
 * A blob (`--blob FILE`) is the same report with each result's title and transcript added, so that
 * `wireprobe merge` can rebuild the HTML and JUnit reports from shards (src/report/merge-read.ts reads both back).
 */
import type { FtpMode } from '../clients/types.js';
import type { TlsStart } from '../clients/tls-mode.js';
import type { Accounting, Family, FtpReport, Outcome, OutcomeKind, Phase, Protocol, Result, ServerConfig, SinkReport, Verdict } from '../engine/types.js';
import type { Fault } from '../faults/types.js';
import { buildMatrix, type Matrix } from './matrix.js';
import type { RunOrder } from './merge-order.js';
import type { Provenance } from './provenance.js';
import { summarize, type Summary } from './summary.js';
import { writeJsonFile } from './file.js';

/** An Outcome as written to JSON: `code` only when `kind` is `reply`, `byClient` only when true, `detail` only when known. */
export interface JsonOutcome {
  readonly kind: OutcomeKind;
  readonly phase: Phase;
  readonly code?: number;
  /** `closed` by the client itself, on its turn (Outcome.byClient). */
  readonly byClient?: true;
  readonly bytesSent: number;
  readonly detail?: string;
}

/** One Result as written to JSON (no title, no transcript). */
export interface JsonResult {
  readonly id: string;
  readonly suite: string;
  readonly protocol: Protocol;
  readonly client: string;
  /** FTP: `passive` or `active`, the data-connection mode the client ran in. */
  readonly mode?: FtpMode;
  /** 4 or 6: the address family the client reached the proxy over, when the run named families (`--family`). */
  readonly family?: Family;
  /** `none`, `starttls` or `implicit`: the TLS variant the client ran in, when the run named variants (`--tls`) and the scenario has them. */
  readonly tls?: TlsStart;
  readonly server: string;
  /** Present when the server ran the user's own config file: the file, and each setting overridden (key, the user's value, ours). */
  readonly serverConfig?: ServerConfig;
  /** The fault as injected, or null for a baseline. */
  readonly fault: Fault | null;
  readonly faultFired: boolean;
  readonly outcome: JsonOutcome | null;
  readonly sink: SinkReport | null;
  /** Present with several messages. */
  readonly messages?: Accounting;
  /** FTP: the control and data connections' fates, separately. */
  readonly ftp?: FtpReport;
  readonly expected: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly durationMs: number;
  /** Blobs only: the scenario's title (the HTML report's row title). */
  readonly title?: string;
  /** Blobs only: the transcript lines, as the JUnit system-out and the HTML details panel show them. */
  readonly transcript?: readonly string[];
}

/** Why a report holds fewer results than the run planned (the user interrupted it), and how many it planned. */
export interface Incomplete {
  /** `interrupted by SIGINT` or `interrupted by SIGTERM`. */
  readonly reason: string;
  /** The runs planned; the report holds those that finished. */
  readonly total: number;
}

/**
 * Which shard of a sharded run (`--shard i/n`) a report holds, so `merge` can tell whether every shard
 * and cell is there; each result's `durationMs` is what a later `--durations` balances by.
 */
export interface JsonShard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** Cells of the whole run, every shard together (after `--only-failed`): each shard says the same. */
  readonly cells: number;
}

/** The whole JSON report. */
export interface JsonReport {
  readonly tool: 'wireprobe';
  readonly version: string;
  /** Present (true) only when the run was interrupted: `results` holds the runs that finished. */
  readonly incomplete?: true;
  /** With `incomplete`: why (`interrupted by SIGINT`). */
  readonly reason?: string;
  /** With `incomplete`: the runs planned. */
  readonly planned?: number;
  /** Present when the run was one shard of several. */
  readonly shard?: JsonShard;
  /** What the results came from: versions of wireprobe, Node, OpenSSL, the OS, clients and servers. */
  readonly provenance?: Provenance;
  /** Blobs only: the order the run lists its cells in, which `merge` restores. */
  readonly order?: RunOrder;
  readonly results: readonly JsonResult[];
  readonly summary: Summary;
  /** The same results as a client x scenario matrix. */
  readonly matrix: Matrix;
}

/** What a report may add to its results: the run's provenance, and (a blob) titles and transcripts. */
export interface JsonExtras {
  /** The run was one shard of several. */
  readonly shard?: JsonShard;
  readonly provenance?: Provenance;
  /** Each result's title and transcript too: the blob `merge` rebuilds HTML and JUnit from. */
  readonly blob?: boolean;
  /** Written with `blob`: the run's order of scenarios, servers and clients. */
  readonly order?: RunOrder;
}

/** Builds the JSON report object for a run; `version` is wireprobe's own version; `incomplete` when interrupted. */
export function toJsonReport(results: readonly Result[], version: string, incomplete?: Incomplete, extras: JsonExtras = {}): JsonReport {
  const cut = incomplete ? { incomplete: true as const, reason: incomplete.reason, planned: incomplete.total } : {};
  const part = extras.shard ? { shard: { index: extras.shard.index, count: extras.shard.count, cells: extras.shard.cells } } : {};
  const provenance = extras.provenance ? { provenance: extras.provenance } : {};
  const order = extras.blob && extras.order ? { order: extras.order } : {};
  const toResult = (r: Result): JsonResult => (extras.blob ? { ...toJsonResult(r), title: r.title, transcript: r.transcript } : toJsonResult(r));
  return {
    tool: 'wireprobe',
    version,
    ...cut,
    ...part,
    ...provenance,
    ...order,
    results: results.map(toResult),
    summary: summarize(results),
    matrix: buildMatrix(results),
  };
}

/** Writes the JSON report to `file`, pretty-printed with a trailing newline, creating parent folders. */
export async function writeJsonReport(file: string, results: readonly Result[], version: string, incomplete?: Incomplete, extras?: JsonExtras): Promise<void> {
  await writeJsonFile(file, toJsonReport(results, version, incomplete, extras));
}

function toJsonResult(r: Result): JsonResult {
  return {
    id: r.id,
    suite: r.suite,
    protocol: r.protocol,
    client: r.client,
    ...(r.mode ? { mode: r.mode } : {}),
    ...(r.family ? { family: r.family } : {}),
    ...(r.tls ? { tls: r.tls } : {}),
    server: r.server,
    ...(r.serverConfig ? { serverConfig: r.serverConfig } : {}),
    fault: r.fault,
    faultFired: r.faultFired,
    outcome: r.outcome === null ? null : toJsonOutcome(r.outcome),
    sink:
      r.sink === null
        ? null
        : {
            copies: r.sink.copies,
            intact: r.sink.intact,
            ...(r.sink.sha256 ? { sha256: r.sink.sha256 } : {}),
            ...(r.sink.verifiable === false ? { verifiable: false } : {}),
          },
    ...(r.messages ? { messages: { ...r.messages } } : {}),
    ...(r.ftp ? { ftp: r.ftp } : {}),
    expected: r.expected,
    verdict: r.verdict,
    reason: r.reason,
    durationMs: r.durationMs,
  };
}

function toJsonOutcome(o: Outcome): JsonOutcome {
  return {
    kind: o.kind,
    phase: o.phase,
    ...(o.kind === 'reply' && o.code !== undefined ? { code: o.code } : {}),
    ...(o.byClient ? { byClient: true as const } : {}),
    bytesSent: o.bytesSent,
    ...(o.detail !== undefined ? { detail: o.detail } : {}),
  };
}
