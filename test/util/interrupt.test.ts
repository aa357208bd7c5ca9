import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { aborted, EXIT_CODES, Interrupted, interruptedBy, interruptLine, watchInterrupts, type SignalSource } from '../../src/util/interrupt.js';

/** A stand-in for `process` that only delivers the signals a test emits. */
function source(): EventEmitter & SignalSource {
  return new EventEmitter() as EventEmitter & SignalSource;
}

/** A watch on a stand-in source, and the exit codes its onSecond was called with. */
function watched(): { signals: EventEmitter & SignalSource; seconds: number[]; watch: ReturnType<typeof watchInterrupts> } {
  const signals = source();
  const seconds: number[] = [];
  return { signals, seconds, watch: watchInterrupts((c) => seconds.push(c), signals) };
}

describe('watchInterrupts', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('aborts on the first %s, with the signal as the reason (exit %i)', (name, code) => {
    const { signals, seconds, watch } = watched();
    expect(watch.signal.aborted).toBe(false);
    signals.emit(name);
    expect(interruptedBy(watch.signal)).toBe(name);
    expect(EXIT_CODES[name]).toBe(code);
    expect(seconds).toEqual([]);
    watch.dispose();
  });

  it('calls onSecond with the first signal exit code on a second signal of either kind', () => {
    const { signals, seconds, watch } = watched();
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    expect(seconds).toEqual([143]);
    expect(interruptedBy(watch.signal)).toBe('SIGTERM');
    watch.dispose();
  });

  it('interrupt() stops as a first signal would, and a real signal after it is still the first (no exit at once)', () => {
    const { signals, seconds, watch } = watched();
    watch.interrupt('SIGTERM');
    expect(interruptedBy(watch.signal)).toBe('SIGTERM');
    signals.emit('SIGINT');
    expect(seconds).toEqual([]);
    signals.emit('SIGINT');
    expect(seconds).toEqual([143]);
    watch.dispose();
  });

  it('interrupt() after a signal changes nothing', () => {
    const { signals, seconds, watch } = watched();
    signals.emit('SIGINT');
    watch.interrupt('SIGTERM');
    expect(interruptedBy(watch.signal)).toBe('SIGINT');
    expect(seconds).toEqual([]);
    watch.dispose();
  });

  it('takes its handlers off when disposed', () => {
    const signals = source();
    const watch = watchInterrupts(() => undefined, signals);
    expect(signals.listenerCount('SIGINT')).toBe(1);
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    watch.dispose();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    signals.emit('SIGINT');
    expect(watch.signal.aborted).toBe(false);
  });
});

describe('interruptedBy', () => {
  it('is undefined for a signal not aborted, or aborted for another reason (a deadline)', () => {
    const controller = new AbortController();
    expect(interruptedBy(controller.signal)).toBeUndefined();
    controller.abort(new Error('deadline'));
    expect(interruptedBy(controller.signal)).toBeUndefined();
    expect(interruptedBy(undefined)).toBeUndefined();
  });
});

describe('aborted', () => {
  it('resolves at once for a signal already aborted, else when it aborts', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = aborted(controller.signal).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    controller.abort(new Interrupted('SIGINT'));
    await waiting;
    expect(done).toBe(true);
    await aborted(controller.signal);
  });
});

describe('interruptLine', () => {
  it('is one line naming the signal', () => {
    expect(interruptLine('SIGINT', '12 of 40 results written; cleaned up')).toBe('wireprobe: interrupted (SIGINT): 12 of 40 results written; cleaned up\n');
  });
});
