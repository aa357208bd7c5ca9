/** turn(): one waiting slice per turn of the event loop, oldest first, whoever asked. */
import { describe, expect, it } from 'vitest';
import { turn } from '../../src/util/turns.js';
import { makeMessage } from '../../src/engine/message.js';

/** Counts turns of the event loop (an immediate that queues itself) until `stop` is called. */
function turnCounter(): { readonly now: () => number; readonly stop: () => void } {
  let turns = 0;
  let going = true;
  const tick = (): void => {
    turns++;
    if (going) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turns, stop: () => void (going = false) };
}

describe('turn', () => {
  it('lets one waiter go per turn, in the order they asked, however many ask at once', async () => {
    const counter = turnCounter();
    const seen: [number, number][] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (job) => {
        for (let slice = 0; slice < 2; slice++) {
          await turn();
          seen.push([job, counter.now()]);
        }
      }),
    );
    counter.stop();
    expect(seen.map(([job]) => job)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    const turns = seen.map(([, at]) => at);
    // Each slice in a turn of its own: before the lane, the four jobs' slices shared turns.
    expect(new Set(turns).size).toBe(turns.length);
    expect(turns).toEqual([...turns].sort((a, b) => a - b));
  });

  it('makes contents whole and hashes them a piece per turn, two at once taking turns', async () => {
    const counter = turnCounter();
    const a = makeMessage('t/a', 3 * 2 ** 20 + 7);
    const b = makeMessage('t/b', 2 * 2 ** 20 + 3);
    const before = counter.now();
    const [whole, digest] = await Promise.all([a.whole(), b.digest()]);
    const took = counter.now() - before;
    counter.stop();
    expect(whole.equals(a.bytes())).toBe(true);
    expect(digest).toEqual(await b.digest());
    // 4 pieces and 3, one a turn: 6 turns at least from the first to the last (sharing turns, 3).
    expect(took).toBeGreaterThanOrEqual(6);
  });
});
