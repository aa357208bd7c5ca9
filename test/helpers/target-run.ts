/** The command lines of the `run --target` tests (test/commands/external-target*.test.ts). */

/** The envelope they send with: a user's server needs a sender and recipient it accepts. */
export const ENVELOPE: readonly string[] = ['--from', 'me@example.test', '--rcpt', 'qa@example.test'];

/** `run` of the scenario file `scenarios` by `client` against `target` (`NAME=URL`) with ENVELOPE, then `more`. */
export function runTarget(scenarios: string, client: string, target: string, ...more: string[]): string[] {
  return ['run', '--scenarios', scenarios, '--client', client, '--target', target, ...ENVELOPE, ...more];
}
