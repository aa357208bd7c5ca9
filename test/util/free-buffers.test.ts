/**
 * bufferFreer: a chunk alone in its ArrayBuffer is freed at once; a view into a shared one, or one that
 * cannot be detached, is left to the collector untouched.
 */
import { describe, expect, it } from 'vitest';
import { bufferFreer } from '../../src/util/free-buffers.js';

describe('bufferFreer', () => {
  it('frees a chunk alone in its ArrayBuffer: its memory is detached at once', () => {
    const chunk = Buffer.from(new ArrayBuffer(64 * 1024));
    bufferFreer().free(chunk);
    expect(chunk.buffer.byteLength).toBe(0);
    expect(chunk.length).toBe(0);
  });

  it('leaves a view into a shared ArrayBuffer alone (a pooled Buffer, part of a bigger read)', () => {
    const whole = Buffer.alloc(1024, 7);
    const part = whole.subarray(0, 512);
    const pooled = Buffer.from('pooled'); // small Buffers share Buffer.poolSize's pool
    bufferFreer().free(part, pooled);
    expect(whole.buffer.byteLength).toBe(1024);
    expect(part[0]).toBe(7);
    expect(pooled.toString()).toBe('pooled');
  });

  it('leaves a chunk that cannot be detached to the collector, without throwing', () => {
    const chunk = Buffer.from(new SharedArrayBuffer(65536)); // shared memory is never detached
    expect(() => bufferFreer().free(chunk)).not.toThrow();
    expect(chunk.buffer.byteLength).toBe(65536);
  });
});
