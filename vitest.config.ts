import { defineConfig } from 'vitest/config';

/**
 * Files that run whole suites at the concurrency their timeouts were measured at (4 runs in flight,
 * `apart` scenarios alone: src/engine/run.ts APART_CONCURRENCY), or compare two clients' outcomes over
 * a suite. They run after the rest, one file at a time, with nothing else in flight, as they did when
 * every file ran in one worker: their cells see the same load as before.
 */
const SUITE_RUNS = [
  'test/suites.test.ts',
  'test/real-servers.test.ts',
  'test/suites/resets-bdat.test.ts',
  'test/clients/postfix-relay.test.ts',
  'test/ipv6/expectations.test.ts',
  'test/clients/command-equivalence.test.ts',
];

/**
 * The other files mostly wait on sockets, timers and child processes: on 2 cores vitest's default of
 * one worker (cores - 1) leaves the machine idle most of the time, so they run two files at a time.
 */
const SHARED_WORKERS = 2;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: SUITE_RUNS,
          maxWorkers: SHARED_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'suites', include: SUITE_RUNS, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
