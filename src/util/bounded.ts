/** Waiting with a bound: for the cases where a peer's courtesy (a QUIT, a close) must not hold us. */

/** Resolves with `promise`'s value, or with undefined once `ms` have passed; leaves no timer behind. */
export async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
