/**
 * The JUnit XML report, for CI dashboards: one testsuite per scenario suite, one testcase per result.
 * `deviates` and `unfired` are failures (an unfired fault proved nothing, so it never passes), `error`
 * is an error, and the transcript is the testcase's system-out. Built with junit-report-builder.
 */
import jrb, { type Builder } from 'junit-report-builder';
import type { Result } from '../engine/types.js';
import { writeReportFile } from './file.js';
import { formatOverride } from './server-config.js';
import type { Incomplete } from './json.js';
import { type Provenance, provenancePairs } from './provenance.js';

/**
 * Writes the JUnit report for `results` to `file`, creating parent folders. Suites appear in the order
 * their first result does; testcase `classname` is the suite with `/` replaced by `.`. An interrupted
 * run (`incomplete`) gets a last suite `wireprobe` whose testcase `incomplete` fails with the reason
 * (a dashboard shows the run red rather than a short green one), and an `incomplete` property.
 * With `provenance`, every testsuite carries it as properties (`wireprobe`, `node`, `client.curl`...).
 */
export async function writeJunitReport(file: string, results: readonly Result[], incomplete?: Incomplete, provenance?: Provenance): Promise<void> {
  const builder = junitBuilder();
  for (const [suite, members] of groupBySuite(results)) {
    const testSuite = builder.testSuite().name(suite);
    for (const [name, value] of provenance ? provenancePairs(provenance) : []) testSuite.property(name, value);
    for (const r of members) {
      const testCase = testSuite
        .testCase()
        .className(suite.replaceAll('/', '.'))
        .name(r.id)
        .time(r.durationMs / 1000)
        .property('client', r.client)
        .property('server', r.server);
      if (r.serverConfig) {
        testCase.property('server-config', r.serverConfig.file).property('overridden', r.serverConfig.overridden.map(formatOverride).join('; '));
      }
      if (r.verdict === 'deviates' || r.verdict === 'unfired') testCase.failure(r.reason, r.verdict);
      else if (r.verdict === 'error') testCase.error(r.reason, r.verdict);
      else if (r.verdict === 'n/a') testCase.skipped();
      if (r.transcript.length > 0) testCase.standardOutput(cdataText(r.transcript.join('\n')));
    }
  }
  if (incomplete) {
    const why = `${incomplete.reason}: ${results.length} of ${incomplete.total} runs finished`;
    builder
      .testSuite()
      .name('wireprobe')
      .property('incomplete', incomplete.reason)
      .testCase()
      .className('wireprobe')
      .name('incomplete')
      .failure(why, 'incomplete');
  }
  await writeReportFile(file, builder.build());
}

/**
 * Text for a CDATA section (system-out): every `]]>` a peer sent as `]]\x3e`, in the transcripts' own
 * escape notation. xmlbuilder (under junit-report-builder) splits only the first one, so a second ended
 * the section early and the rest was not well-formed XML.
 */
export function cdataText(text: string): string {
  return text.replaceAll(']]>', ']]\\x3e');
}

/**
 * A fresh JUnit document named `wireprobe`, for run's report and the probe's. The package's types
 * declare an ES default export, but it is CommonJS whose `module.exports` is the builder itself, which
 * is what Node's default import yields; either shape is accepted.
 */
export function junitBuilder(): Builder {
  const m = jrb as unknown as Builder | { readonly default: Builder };
  return ('newBuilder' in m ? m : m.default).newBuilder().name('wireprobe');
}

function groupBySuite(results: readonly Result[]): Map<string, Result[]> {
  const suites = new Map<string, Result[]>();
  for (const r of results) {
    const members = suites.get(r.suite);
    if (members) members.push(r);
    else suites.set(r.suite, [r]);
  }
  return suites;
}
