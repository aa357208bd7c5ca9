/**
 * `wireprobe serve ftp` stopped by SIGINT or SIGTERM in the middle of an upload, as a user stops it:
 * it exits with the signal's code and the spool folder, the upload's file in it, is gone. Each run gets a private TMPDIR, so what is left there is its own.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');

/** A control connection that logs in anonymously; `send` resolves with the first reply matching `re`. */
async function login(port: number): Promise<{ socket: net.Socket; send(line: string, re: RegExp): Promise<RegExpExecArray> }> {
  const socket = net.connect(port, '127.0.0.1').setEncoding('latin1');
  socket.on('error', () => undefined);
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of [...waiters]) wake();
  });
  const until = (re: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(text);
        if (!m) return;
        waiters.delete(check);
        text = text.slice(m.index + m[0].length);
        resolve(m);
      };
      waiters.add(check);
      socket.once('close', () => reject(new Error(`control connection closed waiting for ${re}: ${text}`)));
      check();
    });
  await until(/^220 .*\r\n/m);
  const send = (line: string, re: RegExp): Promise<RegExpExecArray> => {
    socket.write(`${line}\r\n`);
    return until(re);
  };
  await send('USER anonymous', /^230 .*\r\n/m);
  return { socket, send };
}

let tmp = '';
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'wireprobe-test-tmp-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('wireprobe serve ftp, interrupted during an upload', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`on ${signal} removes the spool folder with the upload open in it, and exits ${code}`, async () => {
      const child = spawn(process.execPath, [BIN, 'serve', 'ftp', '--port', '0'], { env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } });
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      let port = 0;
      for await (const line of createInterface({ input: child.stdout })) {
        const url = /listening on ftp:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (url) {
          port = Number(url[1]);
          break;
        }
      }
      child.stdout.resume();
      expect((await readdir(tmp)).filter((name) => name.startsWith('wireprobe-ftp-'))).toHaveLength(1);
      const control = await login(port);
      const [, dataPort] = await control.send('EPSV', /[|]{3}(\d+)[|]/);
      const data = net.connect(Number(dataPort), '127.0.0.1').on('error', () => undefined);
      await once(data, 'connect');
      // The 150: the upload's file is open in the spool and the server reads the data connection.
      await control.send('STOR open.bin', /^150 /m);
      await new Promise<void>((resolve) => data.write(Buffer.alloc(3 * 1024 * 1024), () => resolve()));
      child.kill(signal);
      const [exit] = await exited;
      control.socket.destroy();
      data.destroy();
      expect({ exit, stderr: stderr.trim() }).toEqual({ exit: code, stderr: expect.stringMatching(/stopped/) });
      // Only ours: run from src/ (dist/ not current), the bin's tsx leaves its cache here too.
      expect((await readdir(tmp)).filter((name) => name.startsWith('wireprobe-'))).toEqual([]);
    });
  }
});
