/**
 * An interrupted run in process (the runner's API, as `wireprobe run` drives it): once the signal
 * aborts, no further run starts, the runs in flight are cut and left out, and nothing is left behind:
 * no child process, no server listening, no temporary folder, no active handle that was not there before.
 */
import { describe, expect, it, vi } from 'vitest';
import { lftpClient } from '../../src/clients/lftp.js';
import { runScenarios } from '../../src/engine/run.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { Interrupted } from '../../src/util/interrupt.js';
import { portFree, type LaunchedServer } from '../../servers/real/common.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { SUITES } from '../../suites/index.js';
import { ownChildren, processesUsing, watchEntries } from '../helpers/leftovers.js';
import { withPrivateTmp } from '../helpers/private-tmp.js';

/** Every vsftpd the run started, to check that each is gone afterwards. */
const started: LaunchedServer[] = [];
const start = vsftpdLauncher.start.bind(vsftpdLauncher);
vi.spyOn(vsftpdLauncher, 'start').mockImplementation(async (options) => {
  const handle = (await start(options)) as LaunchedServer;
  started.push(handle);
  return handle;
});

/** The resources (by type) in `after` that were not in `before`, e.g. a server or socket left open. */
function added(before: readonly string[], after: readonly string[]): string[] {
  const left = [...before];
  return after.filter((type) => {
    const i = left.indexOf(type);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

const resets = SUITES.find((s) => s.name === 'ftp/resets')!.scenarios;

describe('an interrupted run', () => {
  it('with lftp on vsftpd stops at the signal and leaves no process, port, folder or handle behind', async () => {
    const before = process.getActiveResourcesInfo();
    const planned = resets.length * 2; // passive and active
    const { result, left } = await withPrivateTmp(async (dir) => {
      const controller = new AbortController();
      // The third lftp folder: one run has finished, two are under way.
      const lftp = watchEntries(dir, 'wireprobe-lftp-');
      void lftp.until(3).then(() => controller.abort(new Interrupted('SIGINT')));
      const seen: string[] = [];
      const results = await runScenarios(resets, [lftpClient], {
        targets: builtinTargets(),
        servers: ['vsftpd'],
        concurrency: 2,
        signal: controller.signal,
        onResult: (r) => seen.push(r.id),
      });
      lftp.close();
      return { results, seen, aborted: controller.signal.aborted, processes: await processesUsing(dir) };
    });
    expect(result.aborted).toBe(true);
    expect(result.results.length).toBeGreaterThanOrEqual(1);
    expect(result.results.length).toBeLessThan(planned);
    // Only what finished before the signal, each reported as it finished.
    expect(result.results.map((r) => r.id).sort()).toEqual([...result.seen].sort());
    expect(result.results.every((r) => r.verdict !== 'error')).toBe(true);
    // The private folder's removal resolves from inside its last fs callback: that request is released
    // once the callback has returned, one turn of the event loop later.
    await new Promise((resolve) => setImmediate(resolve));
    // Before the port checks below, whose own probe listeners take a moment to be released.
    expect(added(before, process.getActiveResourcesInfo())).toEqual([]);
    expect(result.processes).toEqual([]);
    expect(left).toEqual([]);
    expect(await ownChildren()).toEqual([]);
    expect(started.length).toBeGreaterThan(0);
    for (const server of started) {
      expect(await server.processes(), `vsftpd ${server.pid}`).toEqual([]);
      expect(await portFree(server.port), `vsftpd port ${server.port}`).toBe(true);
    }
  });
});
