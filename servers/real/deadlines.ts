/** The bounds every real-server launcher waits within, and the interval of its bounded polls. */

/** How long a server may take from spawn to its `220 ` banner before start() gives up. */
export const START_DEADLINE_MS = 10_000;

/** How long stop() waits after SIGTERM before SIGKILL, and again after SIGKILL before giving up. */
export const STOP_GRACE_MS = 3_000;

/** Interval of the bounded polls (connect retries, /proc checks, port checks). */
export const POLL_MS = 5;

/** Resolves after `ms`: the wait between two polls, never a synchronisation. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
