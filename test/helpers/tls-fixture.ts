/**
 * What the TLS tests of one file share: what each test started, closed after it in reverse order, and
 * one private CA with a certificate for the loopback names (src/tls/ca.ts), made once for the file;
 * and waiting for a reply on a raw socket before it turns TLS.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeAll } from 'vitest';
import { createPrivateCa, type KeyPair, type PrivateCa } from '../../src/tls/ca.js';

/** A test file's TLS set-up: see tlsFixture. */
export interface TlsFixture {
  /** Closers of what a test started; run after it, last first. */
  readonly cleanups: (() => Promise<void>)[];
  /** The file's CA (set before its first test). */
  readonly ca: PrivateCa;
  /** A valid certificate and key from it for localhost, 127.0.0.1 and ::1. */
  readonly identity: KeyPair;
}

/** Registers the file's hooks; read `ca` and `identity` inside tests, not at the top level. */
export function tlsFixture(): TlsFixture {
  const fixture = { cleanups: [] as (() => Promise<void>)[] } as { cleanups: (() => Promise<void>)[]; ca: PrivateCa; identity: KeyPair };
  afterEach(async () => {
    for (const cleanup of fixture.cleanups.splice(0).reverse()) await cleanup();
  });
  beforeAll(async () => {
    fixture.ca = await createPrivateCa();
    fixture.identity = await fixture.ca.issue();
  });
  return fixture;
}

/** Resolves once `s` has arrived on `socket` (counted from now); rejects if it closes first. */
export function until(socket: Socket, s: string): Promise<void> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error(`closed before ${s}: ${text}`));
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (!text.includes(s)) return;
      socket.off('data', onData).off('close', onClose);
      resolve();
    };
    socket.on('data', onData).once('close', onClose);
  });
}
