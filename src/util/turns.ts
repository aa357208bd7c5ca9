/**
 * Long work on wireprobe's event loop (a 50 MiB message made whole, converted to LF, hashed) goes a
 * slice at a time, and every such job shares one lane: each turn of the event loop runs one waiting
 * slice, in the order they asked. Every run's proxy, mock server and in-process client live on this
 * loop, and their timeouts are what the runs are judged by.
 *
 * Each job yielding on its own (setImmediate) was not enough: all the immediates queued when a turn
 * begins run in that turn, so ten conversions in flight ran ten slices back to back. Measured against
 * aiosmtpd (smtp/large, every client): the loop stood still 100-400 ms at a time, 40-60 times a run,
 * in a suite whose clients time out after 1-2 s.
 *
 *   await turn() ─► queued ─► one per turn (setImmediate): timers and I/O run between two slices
 */

/** The slices waiting for a turn, oldest first. */
const waiting: (() => void)[] = [];
let pumping = false;

/** Lets the oldest waiting slice run, and comes back next turn while any wait. */
function pump(): void {
  const next = waiting.shift();
  if (next === undefined) {
    pumping = false;
    return;
  }
  // Queued before the slice runs (it runs as a microtask once this returns): immediates queued now
  // belong to the next turn.
  setImmediate(pump);
  next();
}

/** Resolves in a later turn of the event loop, once every slice that asked before has had its turn. */
export function turn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (pumping) return;
    pumping = true;
    setImmediate(pump);
  });
}
