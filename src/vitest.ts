/**
 * `wireprobe/vitest`: a mock server started before each test and closed after it, and matchers on what
 * it received. vitest is an optional peer dependency: only this entry imports it.
 *
 *   import { useSmtp } from 'wireprobe/vitest';
 *
 *   const mail = useSmtp({ faults: ['reset after DATA +64KiB'] });
 *   it('delivers once after a reset', async () => {
 *     mail.plan(['reply 451 before RCPT', 'pass']);
 *     await sendWithRetries(mail.url);
 *     expect(mail).toHaveReceived(1, { rcpt: 'user@example.test' });
 *   });
 *
 * Each test gets its own server (its own port and connection count), so tests in one file never share
 * faults, plans or messages.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { formatFault } from './faults/format.js';
import { fault as checkedFault, startFtp, startSmtp } from './index.js';
import type {
  Controllable,
  FaultInput,
  FtpMock,
  MessageMatch,
  ReceivedMessage,
  ReceivedUpload,
  SessionRecord,
  SmtpMock,
  StartFtpOptions,
  StartSmtpOptions,
} from './lib/types.js';

/**
 * A mock SMTP server for each test of the calling suite (started in beforeEach, closed in afterEach).
 * The value returned stands for the current test's mock: read `mail.url`, call `mail.plan(...)` inside a
 * test or a later hook, never at the top of a file.
 */
export function useSmtp(options: StartSmtpOptions = {}): SmtpMock {
  return perTest('useSmtp', () => startSmtp(options));
}

/** A mock FTP server for each test of the calling suite; see useSmtp. */
export function useFtp(options: StartFtpOptions = {}): FtpMock {
  return perTest('useFtp', () => startFtp(options));
}

/** Registers the hooks, and returns a stand-in that forwards to the mock of the running test. */
function perTest<M extends Controllable>(name: string, start: () => Promise<M>): M {
  let current: M | undefined;
  beforeEach(async () => {
    current = await start();
  });
  afterEach(async () => {
    const mock = current;
    current = undefined;
    await mock?.close();
  });
  const target = (): M => {
    if (current === undefined)
      throw new Error(`${name}(): the mock exists only while a test runs (from beforeEach to afterEach), not where ${name}() is called`);
    return current;
  };
  // Methods are bound to the mock itself, so `const { arm } = mail` and `mail.arm` work alike.
  return new Proxy({} as M, {
    get: (_, key) => {
      const mock = target();
      const value: unknown = Reflect.get(mock, key, mock);
      return typeof value === 'function' ? value.bind(mock) : value;
    },
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      // A proxy may report a property of its target only as configurable, since its own target ({}) lacks it.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

/** What a mock received: SMTP messages, or FTP uploads that completed. */
interface Arrival {
  readonly from?: string;
  readonly to?: readonly string[];
  readonly path?: string;
  readonly bytes: number;
  readonly session: number;
}

function arrivals(received: unknown): { readonly noun: string; readonly list: readonly Arrival[] } | undefined {
  if (typeof received !== 'object' || received === null) return undefined;
  if ('messages' in received && Array.isArray(received.messages)) return { noun: 'message', list: received.messages as readonly ReceivedMessage[] };
  if ('uploads' in received && Array.isArray(received.uploads)) {
    return { noun: 'complete upload', list: (received.uploads as readonly ReceivedUpload[]).filter((u) => u.complete) };
  }
  return undefined;
}

/** A string matches exactly (case-insensitively for addresses), a RegExp anywhere: as `arm`'s match does. */
function text(pattern: string | RegExp, value: string, caseless: boolean): boolean {
  if (typeof pattern === 'string') return caseless ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  pattern.lastIndex = 0; // a /g or /y RegExp keeps state between calls
  return pattern.test(value);
}

function matches(arrival: Arrival, match: MessageMatch): boolean {
  if (match.from !== undefined && !(arrival.from !== undefined && text(match.from, arrival.from, true))) return false;
  if (match.rcpt !== undefined && !(arrival.to ?? []).some((to) => text(match.rcpt!, to, true))) return false;
  if (match.path !== undefined && !(arrival.path !== undefined && text(match.path, arrival.path, false))) return false;
  return true;
}

function describeMatch(match: MessageMatch): string {
  const parts = Object.entries(match)
    .filter(([, pattern]) => pattern !== undefined)
    .map(([field, pattern]) => `${field} ${pattern instanceof RegExp ? String(pattern) : JSON.stringify(pattern)}`);
  return parts.length > 0 ? ` matching ${parts.join(', ')}` : '';
}

function describeArrival(a: Arrival): string {
  const what = a.path ?? `from <${a.from ?? ''}> to ${(a.to ?? []).map((t) => `<${t}>`).join(', ')}`;
  return `${what}, ${a.bytes} octets, connection #${a.session}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

expect.extend({
  /** Exactly `count` messages (SMTP) or complete uploads (FTP) so far, optionally only those matching `match`. */
  toHaveReceived(received: unknown, count: number, match: MessageMatch = {}) {
    const got = arrivals(received);
    if (got === undefined) return { pass: false, message: () => 'toHaveReceived: expected a wireprobe mock (from startSmtp, startFtp, useSmtp or useFtp)' };
    const hits = got.list.filter((a) => matches(a, match));
    const listed = got.list.length === 0 ? ' nothing' : `\n${got.list.map((a) => `  ${matches(a, match) ? '*' : '-'} ${describeArrival(a)}`).join('\n')}`;
    const wanted = `${plural(count, got.noun)}${describeMatch(match)}`;
    return {
      pass: hits.length === count,
      message: () =>
        this.isNot
          ? `expected the mock not to have received ${wanted}, and it did:${listed}`
          : `expected the mock to have received ${wanted}, it received ${hits.length} of:${listed}`,
      actual: hits.length,
      expected: count,
    };
  },
  /** The fault fired on at least one connection (a fault that never fired proved nothing). */
  toHaveFired(received: unknown, fault: FaultInput) {
    if (typeof received !== 'object' || received === null || !('sessions' in received) || !Array.isArray(received.sessions)) {
      return { pass: false, message: () => 'toHaveFired: expected a wireprobe mock or proxy (from startSmtp, startFtp, startProxy, useSmtp or useFtp)' };
    }
    // Both sides in the CLI's canonical syntax, so 'reset after DATA +64KiB' and its object form compare equal.
    const wanted = formatFault(checkedFault(fault));
    const sessions = received.sessions as readonly SessionRecord[];
    const on = sessions.filter((s) => s.faultsFired.includes(wanted)).map((s) => `#${s.index}`);
    const fired = sessions.filter((s) => s.faultsFired.length > 0).map((s) => `  #${s.index}: ${s.faultsFired.join('; ')}`);
    const seen = `${plural(sessions.length, 'connection')}, faults fired:${fired.length === 0 ? ' none' : `\n${fired.join('\n')}`}`;
    return {
      pass: on.length > 0,
      message: () => (this.isNot ? `expected "${wanted}" not to have fired; it fired on ${on.join(', ')}` : `expected "${wanted}" to have fired; ${seen}`),
    };
  },
});

interface WireprobeMatchers<R> {
  /**
   * Exactly `count` messages (an SMTP mock) or complete uploads (an FTP mock) received so far; with
   * `match`, counting only those it matches (a string exactly, case-insensitively for addresses; a
   * RegExp anywhere). The failure lists everything received.
   */
  toHaveReceived(count: number, match?: MessageMatch): R;
  /** `fault` (the CLI's syntax or its object form) fired on at least one connection so far. */
  toHaveFired(fault: FaultInput): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: merging with vitest's own declaration needs its exact type parameter
  interface Assertion<T = any> extends WireprobeMatchers<T> {}
}
