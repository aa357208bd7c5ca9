/**
 * The user's server configuration in every report: JSON and JUnit per result, the console and HTML
 * once per server, each overridden setting with the user's value and ours.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { createConsoleReporter } from '../../src/report/console.js';
import { renderHtml } from '../../src/report/html.js';
import { toJsonReport } from '../../src/report/json.js';
import { writeJunitReport } from '../../src/report/junit.js';
import { located } from '../helpers/located.js';

const serverConfig = {
  file: './main.cf',
  overridden: [
    { key: 'relayhost', user: '[smtp.user.test]:587', ours: '(removed: server default)' },
    { key: 'inet_interfaces', user: 'all', ours: '127.0.0.1' },
  ],
};

function result(server: string, config?: typeof serverConfig): Result {
  return located({
    id: `smtp/framing/dot-stuffing/nodemailer@${server}`,
    suite: 'smtp/framing',
    protocol: 'smtp',
    client: 'nodemailer',
    server,
    ...(config ? { serverConfig: config } : {}),
    title: 'dot-stuffing',
    fault: null,
    faultFired: false,
    outcome: { kind: 'delivered', phase: 'done', bytesSent: 10 },
    sink: { copies: 1, intact: true },
    expected: 'delivered',
    verdict: 'conformant',
    reason: 'ok',
    durationMs: 10,
    transcript: ['0.000 S: 220 hello'],
  });
}
const results = [result('postfix'), result('postfix:main.cf', serverConfig)];

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('reports of a run on a user configuration', () => {
  it('JSON: serverConfig on each result from it, none on the stock one', () => {
    const json = toJsonReport(results, '0.0.0');
    expect(json.results.map((r) => r.serverConfig)).toEqual([undefined, serverConfig]);
  });

  it('console: one block per server config at the end, each override on its line', () => {
    const out = new Sink();
    const reporter = createConsoleReporter(out, { color: false, live: false });
    reporter.start(2);
    reporter.end(results);
    expect(out.text).toContain(
      'postfix:main.cf runs ./main.cf, 2 settings overridden:\n  relayhost: "[smtp.user.test]:587" -> (removed: server default)\n  inet_interfaces: "all" -> "127.0.0.1"\n',
    );
  });

  it('HTML: a note per server; JUnit: properties', async () => {
    const html = renderHtml(results, { version: '0.0.0', generatedAt: new Date(0) });
    expect(html).toContain('<p class="server-config-note" data-server="postfix:main.cf">postfix:main.cf runs ./main.cf, 2 settings overridden<br><code>');
    expect(html).toContain('inet_interfaces: &quot;all&quot; -&gt; &quot;127.0.0.1&quot;');
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-userconf-junit-'));
    try {
      await writeJunitReport(join(dir, 'junit.xml'), results);
      const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
      expect(xml).toContain('<property name="server-config" value="./main.cf"/>');
      expect(xml).toMatch(/<property name="overridden" value="relayhost: &quot;\[smtp.user.test\]:587&quot; -> \(removed: server default\); inet_interfaces/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
