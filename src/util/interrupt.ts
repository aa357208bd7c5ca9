/**
 * Ctrl-C and SIGTERM: one AbortController per command, aborted by the first signal. Everything a
 * command starts takes its `signal`: the runner stops starting work, process clients kill their
 * process group, launched servers and temporary folders are closed by the `finally` blocks that own
 * them, and the command then reports what finished and exits 128 + the signal's number. A second
 * signal exits at once.
 *
 *   SIGINT/SIGTERM ─► controller.abort(new Interrupted(sig)) ─► runner, clients, probe, serve stop
 *   second signal  ─► onSecond(exit code) (the CLI: process.exit)
 *   interrupt(sig) ─► the same abort, for a stop no signal brought (./launcher.ts); not a signal received
 *   halt(crash)    ─► the same abort for a client module's crash (src/clients/module-guard.ts): exit 3
 */
import { isWireprobeError, WireprobeError } from './errors.js';

/** The signals a command stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, as shells report a process a signal ended: SIGINT 130, SIGTERM 143. */
export const EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * The exit code of a command a client module stopped: an exception it threw where nothing could catch
 * it, or a rejection it left unhandled, outside any one of its runs (src/clients/module-guard.ts).
 */
export const CRASH_EXIT_CODE = 3;

/** The abort reason of an interrupted command: which signal stopped it. */
export class Interrupted extends WireprobeError<'EINTERRUPTED'> {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`, 'EINTERRUPTED');
    this.name = 'Interrupted';
  }
}

/** The signal that interrupted a command whose AbortSignal is `signal`, or undefined (not aborted, or aborted otherwise). */
export function interruptedBy(signal: AbortSignal | undefined): StopSignal | undefined {
  return signal?.aborted && signal.reason instanceof Interrupted ? signal.reason.signal : undefined;
}

/** A command's interrupt wiring: the signal to pass down, and how to take the handlers off again. */
export interface InterruptWatch {
  /** Aborted (reason: Interrupted) by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /**
   * Stops the command as a first `name` would, unless it is already stopping. It does not count as a
   * signal received: a real SIGINT after it is still the first, so the cleanup runs.
   */
  interrupt(name: StopSignal): void;
  /**
   * Stops the command as an interrupt does, for `crash` (a ClientCrash, code ECLIENTCRASH: its message
   * names the client and the error), unless it is already stopping.
   */
  halt(crash: WireprobeError<'ECLIENTCRASH'>): void;
  /** Removes the signal handlers (the command is over). */
  dispose(): void;
}

/** Where signals come from: `process`, or a stand-in in tests. */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

/**
 * Installs SIGINT and SIGTERM handlers on `source` (default `process`): the first signal aborts the
 * returned signal; a second one (either) calls `onSecond` with the exit code of the first.
 */
export function watchInterrupts(onSecond: (code: number) => void, source: SignalSource = process): InterruptWatch {
  const controller = new AbortController();
  const interrupt = (name: StopSignal): void => {
    if (!controller.signal.aborted) controller.abort(new Interrupted(name));
  };
  /** The first signal received, if one was. */
  let received: StopSignal | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = (): void => {
      if (received) return onSecond(EXIT_CODES[interruptedBy(controller.signal) ?? received]);
      received = name;
      interrupt(name);
    };
    source.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    interrupt,
    halt: (crash) => {
      if (!controller.signal.aborted) controller.abort(crash);
    },
    dispose: () => {
      for (const [name, handler] of handlers) source.off(name, handler);
    },
  };
}

/** How a stopped command says so: the reason its reports are incomplete, its one line, its exit code. */
export interface Stopped {
  /** `interrupted by SIGINT`, or `stopped: client module "./x.mjs" threw ...`: the reports' incomplete reason. */
  readonly reason: string;
  /** 130, 143, or CRASH_EXIT_CODE. */
  readonly exitCode: number;
  /** The one line on stderr: `what` (`12 of 40 results written; cleaned up`) after what stopped the command. */
  line(what: string): string;
}

/** What stopped a command whose AbortSignal is `signal` (an interrupt, a client module's crash), or undefined. */
export function stoppedBy(signal: AbortSignal | undefined): Stopped | undefined {
  const by = interruptedBy(signal);
  if (by) return { reason: `interrupted by ${by}`, exitCode: EXIT_CODES[by], line: (what) => interruptLine(by, what) };
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  if (isWireprobeError(reason) && reason.code === 'ECLIENTCRASH') {
    return { reason: `stopped: ${reason.message}`, exitCode: CRASH_EXIT_CODE, line: (what) => `wireprobe: stopped: ${reason.message}; ${what}\n` };
  }
  return undefined;
}

/** Resolves once `signal` aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * The one line an interrupted command prints: `wireprobe: interrupted (SIGINT): 12 of 40 results
 * written; cleaned up`.
 */
export function interruptLine(signal: StopSignal, what: string): string {
  return `wireprobe: interrupted (${signal}): ${what}\n`;
}
