/** The runner's hard deadline: a client run that has not settled by then is `hung`. */

/**
 * Runs `task` until it settles or `ms` pass; at the deadline the signal aborts and the result is
 * `hung` whatever the task does later. When `stop` aborts (the user interrupted the run), the task's
 * signal aborts too and the result is `hung` at once: the runner discards it.
 */
export async function withDeadline<T>(task: (signal: AbortSignal) => Promise<T>, ms: number, stop?: AbortSignal): Promise<T | 'hung'> {
  if (stop?.aborted) return 'hung';
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
    // Synchronously: the client's process group is killed before a second signal can exit wireprobe.
    onStop = () => {
      controller.abort();
      resolve('hung');
    };
    stop?.addEventListener('abort', onStop, { once: true });
  });
  try {
    const result = await Promise.race([task(controller.signal), deadline]);
    if (result === 'hung') controller.abort();
    return result;
  } finally {
    clearTimeout(timer);
    if (onStop) stop?.removeEventListener('abort', onStop);
  }
}
