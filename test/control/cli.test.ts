/** `serve --control`'s value: parsed, refused in one line (exit 2), warned about when not loopback. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { controlAddress } from '../../src/commands/args.js';

/** A stream that keeps what is written to it. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function inProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout, stderr, env: { NO_COLOR: '1' } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const EVERY = 'warning: --control 0.0.0.0 (every interface) is not loopback: this deliberately misbehaving server is reachable from the network';

describe('--control HOST:PORT', () => {
  it.each([
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['127.0.0.1:8025', { host: '127.0.0.1', port: 8025 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['[::1]:8025', { host: '::1', port: 8025 }],
    ['0.0.0.0:8025', { host: '0.0.0.0', port: 8025, warning: EVERY }],
  ])('reads %s', (text, expected) => {
    expect(controlAddress(text)).toEqual(expected);
  });

  it.each([
    [['serve', 'smtp', '--control', '8025'], /^wireprobe: bad --control "8025": expected HOST:PORT/],
    [['serve', 'smtp', '--control', '127.0.0.1'], /^wireprobe: bad --control "127\.0\.0\.1": expected HOST:PORT/],
    [['serve', 'smtp', '--control', '127.0.0.1:65536'], /^wireprobe: bad --control "127\.0\.0\.1:65536": expected HOST:PORT/],
    [['serve', 'smtp', '--control', '127.0.0.1:http'], /^wireprobe: bad --control "127\.0\.0\.1:http"/],
    [['serve', 'ftp', '--control', ':8025'], /^wireprobe: bad --control "": expected an address to listen on/],
    [['serve', 'ftp', '--control', 'a b:8025'], /^wireprobe: bad --control "a b": not an address/],
    [['serve', 'smtp', '--control', '[127.0.0.1]:8025'], /^wireprobe: bad --control "\[127\.0\.0\.1\]:8025": \[127\.0\.0\.1\] is not an IPv6 address/],
    [['serve', 'smtp', '--control', 'x'.repeat(100_000)], /^wireprobe: bad --control "x{80}…" \(100000 chars\)/],
    [['run', '--control', '127.0.0.1:0'], /^wireprobe: option --control does not apply to "run"/],
  ])('refuses %j in one line, exit 2', async (args, named) => {
    const { code, stdout, stderr } = await inProcess(args);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(named);
    expect(stderr.slice(0, -1).split('\n')).toHaveLength(1);
  });
});
