/**
 * Rcvbuf: a small receive buffer on the proxy's listening socket, so every connection it accepts
 * advertises a small TCP window and a client sending fast keeps filling it and waiting (the "buffer
 * sizes" case of field reports: a peer that reads slowly or with tiny buffers).
 *
 * Node cannot set SO_RCVBUF on a TCP socket, so a short python3 child is handed the listening socket's
 * descriptor (as its fd 3), sets SO_RCVBUF there, reads back what the kernel kept (Linux doubles the
 * request, for its own bookkeeping), and detaches without closing it. Linux copies the listener's
 * buffer size, locked, to every socket it accepts.
 */
import { spawn } from 'node:child_process';
import { formatSize } from '../util/units.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/** SO_RCVBUF of `bytes` on the proxy's listening socket, so accepted connections inherit it. Its `at` is always `connect`. */
export interface RcvbufFault extends FaultBase {
  readonly kind: 'rcvbuf';
  /** Above 0. */
  readonly bytes: number;
}

/** Sets SO_RCVBUF on the socket at fd 3 to argv[1] and prints what getsockopt reads back. */
const SET_RCVBUF = [
  'import socket, sys',
  's = socket.socket(fileno=3)',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(sys.argv[1]))',
  'print(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))',
  's.detach()',
].join('\n');

/**
 * Sets SO_RCVBUF on the socket `fd` to `bytes` and resolves to the size the kernel reports back.
 * Rejects with one line when python3 is not there or the socket refuses.
 */
export function setReceiveBuffer(fd: number, bytes: number, python = 'python3'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', SET_RCVBUF, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `${python} is not installed` : `${python} could not start (${error.code ?? error.message})`;
      reject(new Error(`rcvbuf is not available here: it needs python3 to set SO_RCVBUF (Node cannot), and ${why}`));
    });
    child.once('close', (code) => {
      const effective = Number(out.trim());
      if (code === 0 && Number.isSafeInteger(effective) && effective > 0) return resolve(effective);
      const last = err.trim().split('\n').at(-1) ?? `exit code ${code}`;
      reject(new Error(`rcvbuf: setting SO_RCVBUF on the listening socket failed: ${last}`));
    });
  });
}

/** The `rcvbuf` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const RCVBUF: FaultDescriptor<RcvbufFault> = {
  kind: 'rcvbuf',
  scope: 'listener',
  trigger: 'connect-only',
  syntax: 'rcvbuf <size>',
  help: 'a small receive window: the listening socket gets SO_RCVBUF (needs python3)',
  example: 'rcvbuf 4KiB',
  args: (c) => ({ bytes: c.size() }),
  format: (f) => [formatSize(f.bytes)],
  async onListen(f, fd) {
    const effective = await setReceiveBuffer(fd, f.bytes);
    return `listening socket: SO_RCVBUF ${f.bytes} asked, ${effective} in effect (every accepted connection inherits it)`;
  },
};
