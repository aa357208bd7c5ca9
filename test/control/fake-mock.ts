/**
 * Stand-ins for the library's mocks: they record what the control API asked of them and hold what a
 * test puts in them, so the HTTP layer is tested without sockets behind it.
 */
import { createHash } from 'node:crypto';
import type { ArmOptions, FaultInput, FtpMock, MessageMatch, ReceivedMessage, ReceivedUpload, SessionRecord, SmtpMock } from '../../src/lib/types.js';

/** One call the API made on the mock. */
export type Call =
  | { readonly op: 'arm'; readonly fault: FaultInput; readonly options: ArmOptions | undefined }
  | { readonly op: 'plan'; readonly faults: readonly (FaultInput | 'pass')[]; readonly match: MessageMatch | undefined }
  | { readonly op: 'disarm' }
  | { readonly op: 'clear' };

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function fakeMessage(from: string, to: readonly string[], content: string, session = 1): ReceivedMessage {
  const raw = Buffer.from(content);
  return { from, to, bytes: raw.length, sha256: sha256(raw), session, raw: async () => raw };
}

export function fakeUpload(path: string, content: string, complete = true): ReceivedUpload {
  const raw = Buffer.from(content);
  return { path, bytes: raw.length, sha256: sha256(raw), received: raw.length, complete, session: 1, raw: async () => raw };
}

interface Fake {
  readonly calls: Call[];
  sessions: SessionRecord[];
  /** Makes the next arm() or plan() throw this. */
  failNext?: Error;
}

function controllable(protocol: 'smtp' | 'ftp', fake: Fake) {
  const check = (): void => {
    const error = fake.failNext;
    fake.failNext = undefined;
    if (error) throw error;
  };
  return {
    url: `${protocol}://127.0.0.1:2525`,
    host: '127.0.0.1',
    port: 2525,
    arm(fault: FaultInput, options?: ArmOptions) {
      check();
      fake.calls.push({ op: 'arm', fault, options });
    },
    plan(faults: readonly (FaultInput | 'pass')[], options?: { match?: MessageMatch }) {
      check();
      fake.calls.push({ op: 'plan', faults, match: options?.match });
    },
    disarm() {
      fake.calls.push({ op: 'disarm' });
    },
    close: async () => {},
  };
}

export function fakeSmtp(): SmtpMock & Fake & { messages: ReceivedMessage[] } {
  const fake: Fake & { messages: ReceivedMessage[] } = { calls: [], sessions: [], messages: [] };
  return Object.assign(fake, controllable('smtp', fake), {
    waitForMessage: () => Promise.reject(new Error('not in the fake')),
    clearMessages() {
      fake.messages.length = 0;
      fake.calls.push({ op: 'clear' });
    },
  });
}

export function fakeFtp(): FtpMock & Fake & { uploads: ReceivedUpload[] } {
  const fake: Fake & { uploads: ReceivedUpload[] } = { calls: [], sessions: [], uploads: [] };
  return Object.assign(fake, controllable('ftp', fake), {
    waitForUpload: () => Promise.reject(new Error('not in the fake')),
    clearUploads() {
      fake.uploads.length = 0;
      fake.calls.push({ op: 'clear' });
    },
  });
}
