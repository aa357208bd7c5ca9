/**
 * selfsigned's `generate`, loaded on first use: it brings @peculiar/x509 and its ASN.1 libraries,
 * measured at 16 MB of resident memory (Node 20), which a run or a `serve` that makes no certificate
 * never needs (`serve ftp` without TLS idled at 69 MiB with them loaded).
 */
import type { generate as selfsigned } from 'selfsigned';

/** What `generate` takes after the subject: key, validity, extensions, the CA that signs. */
export type GenerateOptions = NonNullable<Parameters<typeof selfsigned>[1]>;

/** A certificate and its key as PEM, made by selfsigned (see its `generate`). */
export async function generate(...args: Parameters<typeof selfsigned>): ReturnType<typeof selfsigned> {
  // A CommonJS module: its named exports are Node's guess from the source, `default` is module.exports
  // itself. Once, through tsx's loader (src/ run directly), every import in a process came without the
  // named one: `default` does not depend on the guess.
  const loaded: { generate?: typeof selfsigned; default?: { generate?: typeof selfsigned } } = await import('selfsigned');
  const make = loaded.generate ?? loaded.default?.generate;
  if (typeof make !== 'function') throw new Error('the selfsigned package has no generate(): run npm ci again');
  return make(...args);
}
