/**
 * The one error base: each error wireprobe throws on purpose carries a literal code, and the CLI picks
 * its one-line message by that code, never by class.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ServerNotInstalled } from '../../servers/real/types.js';
import { main } from '../../src/cli.js';
import { explainError } from '../../src/commands/explain.js';
import { UsageError } from '../../src/util/usage-error.js';
import { FaultSyntaxError, parseFault } from '../../src/faults/parse.js';
import { parseTarget, TargetError } from '../../src/probe/target.js';
import { isUserFacing, isWireprobeError, WireprobeError, type WireprobeErrorCode } from '../../src/util/errors.js';
import { Interrupted } from '../../src/util/interrupt.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** [class name, an instance, its code, whether its message is the user's]. */
const ERRORS: readonly (readonly [string, WireprobeError, WireprobeErrorCode, boolean])[] = [
  ['UsageError', new UsageError('bad --port "0"'), 'EUSAGE', true],
  ['FaultSyntaxError', new FaultSyntaxError('reset aftr DATA', 'aftr', 'expected at'), 'EFAULTSYNTAX', true],
  ['TargetError (text)', new TargetError('bad target "x"', 'EBADTARGET'), 'EBADTARGET', true],
  ['TargetError (name)', new TargetError('unknown host "x" (ENOTFOUND)', 'ENOTFOUND'), 'ENOTFOUND', true],
  ['TargetError (refused)', new TargetError('cannot connect to x: connection refused', 'ECONNREFUSED'), 'ECONNREFUSED', true],
  ['TargetError (timeout)', new TargetError('cannot connect to x: no answer within 5 ms', 'ETIMEDOUT'), 'ETIMEDOUT', true],
  ['TargetError (other)', new TargetError('cannot connect to x: host unreachable', 'ECONNECT'), 'ECONNECT', true],
  ['ServerNotInstalled', new ServerNotInstalled('vsftpd', 'apt-get install vsftpd'), 'ENOTINSTALLED', true],
  ['Interrupted', new Interrupted('SIGINT'), 'EINTERRUPTED', false],
];

describe('WireprobeError', () => {
  it.each(ERRORS)('%s carries its literal code', (_name, error, code, userFacing) => {
    expect(error).toBeInstanceOf(Error);
    expect(isWireprobeError(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(isUserFacing(error)).toBe(userFacing);
  });

  it('keeps each class its own name and fields', () => {
    const missing = new ServerNotInstalled('vsftpd', 'apt-get install vsftpd');
    expect(missing).toMatchObject({ name: 'ServerNotInstalled', server: 'vsftpd', message: 'vsftpd not found: apt-get install vsftpd' });
    expect(new Interrupted('SIGTERM')).toMatchObject({ name: 'Interrupted', signal: 'SIGTERM', message: 'interrupted by SIGTERM' });
    expect(new TargetError('x', 'ECONNECT').name).toBe('TargetError');
    expect(new FaultSyntaxError('x', null, 'y').name).toBe('FaultSyntaxError');
  });

  it('is what the parsers throw', () => {
    expect(thrown(() => parseFault('reset aftr DATA'))).toMatchObject({ code: 'EFAULTSYNTAX' });
    expect(thrown(() => parseTarget('smtp://host:0'))).toMatchObject({ code: 'EBADTARGET' });
  });

  it('tells a Node error with the same code apart', () => {
    const node = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), { code: 'ENOTFOUND' });
    expect(isWireprobeError(node)).toBe(false);
    expect(isUserFacing(node)).toBe(false);
    expect(isUserFacing(undefined)).toBe(false);
    expect(isUserFacing('EUSAGE')).toBe(false);
  });
});

describe('the CLI message', () => {
  it.each(ERRORS.filter(([, , , userFacing]) => userFacing))('is the message alone for %s', (_name, error) => {
    expect(explainError(error, true)).toBe(error.message);
  });

  it("is decided by code: a bare WireprobeError of a user code is the user's too", () => {
    expect(explainError(new WireprobeError('no such thing', 'EUSAGE'), false)).toBe('no such thing');
  });

  it('is an internal error for an interruption and for any other error', () => {
    expect(explainError(new Interrupted('SIGINT'), false)).toBe('internal error: interrupted by SIGINT (set WIREPROBE_DEBUG=1 for details)');
    expect(explainError(Object.assign(new Error('boom'), { code: 'EUSAGE' }), false)).toBe('internal error: boom (set WIREPROBE_DEBUG=1 for details)');
    expect(explainError(new Error('boom'), true)).toMatch(/^internal error: boom\nError: boom\n\s+at /);
  });

  it("reads Node's own codes as before", () => {
    const code = (message: string, c: string): Error => Object.assign(new Error(message), { code: c });
    expect(explainError(code('getaddrinfo ENOTFOUND nowhere', 'ENOTFOUND'), false)).toBe('cannot listen: unknown host (getaddrinfo ENOTFOUND nowhere)');
    expect(explainError(code('listen EADDRINUSE', 'EADDRINUSE'), false)).toBe('cannot listen: listen EADDRINUSE');
    expect(explainError(code("Unknown option '--x'\nmore", 'ERR_PARSE_ARGS_UNKNOWN_OPTION'), false)).toBe("Unknown option '--x'");
  });

  it.each([
    ['EUSAGE', ['run', '--concurrency', '0'], /^wireprobe: bad --concurrency "0": expected a whole number from 1 to \d+\n$/],
    ['EFAULTSYNTAX', ['serve', 'smtp', '--fault', 'reset aftr DATA'], /^wireprobe: bad fault "reset aftr DATA": .* at "aftr"\n$/],
    ['EBADTARGET', ['probe', 'smtp://127.0.0.1:0'], /^wireprobe: bad port "0" in "smtp:\/\/127\.0\.0\.1:0": expected 1 to 65535\n$/],
  ] as const)('is one line on stderr, exit 2, for %s', async (_code, args, line) => {
    let stderr = '';
    const sink = (write: (text: string) => void) => new Writable({ write: (chunk: Buffer, _e, done) => (write(chunk.toString()), done()) });
    const code = await main(args, { stdout: sink(() => undefined), stderr: sink((t) => (stderr += t)), env: { NO_COLOR: '1' } });
    expect(code).toBe(2);
    expect(stderr).toMatch(line);
  });
});
