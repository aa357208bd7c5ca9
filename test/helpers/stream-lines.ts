/** Waiting for a line of a running command's output (serve's log), whether it was written already or comes later. */
import type { PassThrough } from 'node:stream';

/** A stream's lines as they come, and the first one matching a pattern (already written or still to come). */
export function lines(stream: PassThrough): (pattern: RegExp) => Promise<string> {
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString('latin1')).split('\n');
    pending = parts.pop() ?? '';
    seen.push(...parts);
    for (const wake of waiters) wake();
  });
  return (pattern) =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = seen.find((l) => pattern.test(l));
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
}
