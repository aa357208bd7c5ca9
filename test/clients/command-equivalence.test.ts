/**
 * A command client is classified as well as a built-in one without knowing its error texts: curl
 * written as a command template (the arguments the built-in adapters pass, src/clients/curl.ts and
 * curl-ftp.ts) gives the same outcome kind and phase as the built-in curl on every smtp/resets and
 * ftp/resets scenario (FTP: in both modes), through the fault proxy against the mock servers. A cell
 * that differs is run again (see `differences`).
 */
import { describe, expect, it } from 'vitest';
import { commandClient } from '../../src/clients/command.js';
import { curlClient } from '../../src/clients/curl.js';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import type { ClientAdapter } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runInTest } from '../helpers/run-in-test.js';
import type { Result, Scenario } from '../../src/engine/types.js';
import type { TestContext } from 'vitest';
import { SUITES } from '../../suites/index.js';

const targets = builtinTargets();

/** curl's SMTP command line as the built-in runs it; exit codes mapped as its table maps them (7, 52, 55, 56: wire). */
const curlSmtpCommand = commandClient({
  name: 'curl-cmd',
  protocol: 'smtp',
  command:
    'curl --silent --show-error --connect-timeout {connect-timeout} --speed-limit 1 --speed-time {timeout} smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} --upload-file -',
  exitCodes: { '8': 'reply', '28': 'timeout', '67': 'reply' },
});

/**
 * curl's FTP command line as the built-in runs it: the password in a config file (mode 0600, in the
 * run's private directory beside {file}), written by an sh script from WIREPROBE_PASSWORD, then `exec
 * curl` with an upload on stdin (`-T -`, as the built-in) or a download to {file}. The
 * values go in as sh's arguments, never into its script. The exit codes curl-ftp.ts maps to `reply`
 * or `timeout` are mapped alike; its `ended` codes (a reply curl could not parse) stay `wire`, as does
 * 28 (a timeout, or any 421 curl read), as there.
 */
const script = [
  'user=$1 mode=$2 direction=$3 file=$4; shift 4',
  'config=$(dirname "$file")/config; (umask 077; printf "user = \\"%s:%s\\"\\n" "$user" "$WIREPROBE_PASSWORD" > "$config")',
  'if [ "$mode" = active ]; then set -- --ftp-port - "$@"; else set -- --ftp-pasv "$@"; fi',
  'if [ "$direction" = upload ]; then set -- --upload-file - "$@"; else set -- --output "$file" "$@"; fi',
  'exec curl --disable --silent --show-error --config "$config" "$@"',
].join('; ');
const replyExits = [9, 10, 17, 19, 21, 25, 30, 31, 67, 78];
const curlFtpCommand = commandClient({
  name: 'curl-cmd',
  protocol: 'ftp',
  command: `sh -c '${script}' curl-cmd {user} {mode} {direction} {file} --connect-timeout {connect-timeout} --speed-limit 1 --speed-time {timeout} --ftp-method nocwd ftp://{host}:{port}/{path}`,
  exitCodes: { ...Object.fromEntries(replyExits.map((code) => [String(code), 'reply' as const])), '12': 'timeout' },
});

/** Each scenario's (and mode's) outcome kind and phase, per client; the run is cut if `test` times out. */
async function cells(scenarios: readonly Scenario[], clients: readonly ClientAdapter[], test: TestContext): Promise<Record<string, Record<string, string>>> {
  const results = await runInTest(test, scenarios, clients, { targets, concurrency: 2 });
  const byClient: Record<string, Record<string, string>> = {};
  for (const r of results) {
    const cell = (byClient[r.client] ??= {});
    cell[`${r.scenarioId}${r.mode ? ` ${r.mode}` : ''}`] = cellOf(r);
  }
  return byClient;
}

/** A run's outcome kind and phase; a run with no outcome (n/a, error) says why. */
function cellOf(r: Result): string {
  return r.outcome ? `${r.outcome.kind} at ${r.outcome.phase}` : `${r.verdict}: ${r.reason}`;
}

/** The cells of `suite` where `command` and `builtin` differ, each with both outcomes, run within `test`. */
async function differences(
  suite: string,
  builtin: ClientAdapter,
  command: ClientAdapter,
  test: TestContext,
): Promise<{ total: number; differ: Record<string, string> }> {
  // Not the BDAT scenarios: curl sends no BDAT, so both are n/a there, each saying its own name.
  const scenarios = SUITES.find((s) => s.name === suite)!.scenarios.filter((s) => !(s.protocol === 'smtp' && s.needs === 'bdat'));
  const got = await cells(scenarios, [builtin, command], test);
  const differ: Record<string, string> = {};
  for (const [cell, outcome] of Object.entries(got[command.name]!)) {
    if (got[builtin.name]![cell] !== outcome) differ[cell] = `${builtin.name}: ${got[builtin.name]![cell]}, ${command.name}: ${outcome}`;
  }
  return { total: Object.keys(got[command.name]!).length, differ };
}

describe('a command client built from curl', () => {
  it('gives the same outcome kinds and phases as the built-in curl on smtp/resets', async (test) => {
    const { total, differ } = await differences('smtp/resets', curlClient, curlSmtpCommand, test);
    expect(total).toBe(26);
    expect(differ).toEqual({});
  }, 600_000);

  it('gives the same outcome kinds and phases as the built-in curl on ftp/resets in both modes', async (test) => {
    const { total, differ } = await differences('ftp/resets', curlFtpClient, curlFtpCommand, test);
    expect(total).toBe(44);
    expect(differ).toEqual({});
  }, 900_000);
});
