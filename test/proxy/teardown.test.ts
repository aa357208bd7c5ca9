/** The one state of a relayed connection. Pure: no sockets; timers are vitest's fake ones. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Teardown } from '../../src/proxy/teardown.js';

describe('Teardown', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes from open to held and back', () => {
    const state = new Teardown();
    expect(state.open).toBe(true);
    state.hold();
    expect(state.state).toBe('held');
    expect(state.release()).toBe(true);
    expect(state.open).toBe(true);
    expect(state.release()).toBe(false);
  });

  it('stays ended: a hold after the end does nothing and a release does not reopen', () => {
    const state = new Teardown();
    state.hold();
    expect(state.end(false)).toBe(true);
    state.hold();
    expect(state.release()).toBe(false);
    expect(state.state).toBe('dead');
    expect(state.end(false)).toBe(false);
  });

  it('is resetting until the RST to the client is sent', () => {
    const state = new Teardown();
    state.end(true);
    expect(state.state).toBe('resetting');
    expect(state.ended).toBe(true);
    state.rstSent();
    expect(state.state).toBe('dead');
  });

  it('after a FIN counts the commands pipelined behind MAIL or RCPT, up to the first that is not', () => {
    const command = (verb: string) => ({ kind: 'command', end: 0, verb, line: verb }) as const;
    const state = new Teardown();
    state.end(false);
    state.toClient('fin');
    expect(state.pipelinedAfterFin([command('RCPT'), command('DATA')], 'MAIL')).toEqual([command('RCPT'), command('DATA')]);
    expect(state.pipelinedAfterFin([command('QUIT')], 'DATA')).toEqual([]);
    // The pipeline broke: nothing after counts, whatever it follows.
    expect(state.pipelinedAfterFin([command('RCPT')], 'MAIL')).toEqual([]);
  });

  it('after a FIN does not count a command that follows a reply-awaiting one', () => {
    const state = new Teardown();
    state.end(false);
    expect(state.pipelinedAfterFin([{ kind: 'command', end: 0, verb: 'MAIL', line: 'MAIL' }], 'EHLO')).toEqual([]);
  });

  it('records the first end the client saw', () => {
    const state = new Teardown();
    state.toClient('rst');
    state.toClient('fin');
    expect(state.clientSaw).toBe('rst');
  });

  it('records no end when the client had left first', () => {
    const state = new Teardown();
    state.clientGone();
    state.toClient('fin');
    expect(state.clientLeft).toBe(true);
    expect(state.clientSaw).toBeNull();
  });

  it('records a client that left on its turn, once, and only with nothing cut toward it or held', () => {
    const onTurn = new Teardown();
    onTurn.clientGone(true);
    onTurn.clientGone(false);
    expect(onTurn.leftOnTurn).toBe(true);
    const cut = new Teardown();
    cut.toClient('fin');
    cut.clientGone(true);
    expect(cut.leftOnTurn).toBe(false);
    const held = new Teardown();
    held.hold();
    held.clientGone(true);
    expect(held.leftOnTurn).toBe(false);
    const waiting = new Teardown();
    waiting.clientGone(false);
    expect(waiting.leftOnTurn).toBe(false);
  });

  it("counts a client that left after its QUIT was answered on its turn, though the server's FIN reached it first", () => {
    const quit = new Teardown();
    quit.toClient('fin');
    quit.clientGone('quit');
    expect(quit.leftOnTurn).toBe(true);
    const reset = new Teardown();
    reset.toClient('rst');
    reset.clientGone('quit');
    expect(reset.leftOnTurn).toBe(false);
  });

  it('drops pending timers when the connection ends', () => {
    vi.useFakeTimers();
    const state = new Teardown();
    const fired: string[] = [];
    state.after(100, () => fired.push('hold over'));
    state.end(false);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual([]);
  });

  it('runs a timer that is due while the connection is open', () => {
    vi.useFakeTimers();
    const state = new Teardown();
    const fired: string[] = [];
    state.after(100, () => fired.push('hold over'));
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['hold over']);
  });
});
