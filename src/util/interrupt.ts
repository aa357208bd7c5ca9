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
 */
import { WireprobeError } from './errors.js';

/** The signals a command stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, as shells report a process a signal ended: SIGINT 130, SIGTERM 143. */
export const EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

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
    dispose: () => {
      for (const [name, handler] of handlers) source.off(name, handler);
    },
  };
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
