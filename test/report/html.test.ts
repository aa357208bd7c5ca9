/**
 * The HTML report: checks on the rendered string (self-contained, escaped, redacted), then the page in a
 * real headless Chromium (Debian's /usr/bin/chromium through playwright-core; scripts/install/chromium.sh
 * installs it): matrices, the details panel from a click and from Enter, filters.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { markLines, redactTranscript, renderHtml, writeHtml } from '../../src/report/html.js';
import { located } from '../helpers/located.js';

const CHROMIUM = '/usr/bin/chromium';
const META = { version: '9.8.7', generatedAt: new Date('2025-01-02T03:04:05.000Z') };
const XSS = '<script>window.__pwned = 1</script> & "quoted" \'too\'';

/** A result with the fields every fixture shares; `over` gives what differs. */
function result(over: Partial<Result> & Pick<Result, 'id' | 'protocol' | 'client' | 'server'>): Result {
  return located({
    suite: over.protocol === 'smtp' ? 'smtp/resets' : 'ftp/resets',
    title: 'a title',
    fault: null,
    faultFired: false,
    outcome: { kind: 'delivered', phase: 'dot', bytesSent: 1024 },
    sink: { copies: 1, intact: true },
    expected: 'a rule (RFC 5321 §3.8)',
    verdict: 'conformant',
    reason: 'as expected',
    durationMs: 42.5,
    transcript: [],
    ...over,
  });
}

const RESET_RCPT = { kind: 'reset', at: { before: 'reply', to: 'RCPT' } } as const;
const RESET_STOR = { kind: 'reset', at: { after: 'STOR', bytes: 65536 }, channel: 'data' } as const;

const SMTP: Result[] = [
  result({
    id: 'smtp/resets/reset-before-rcpt-reply/nodemailer',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock-smtp',
    title: 'RST before the reply to RCPT',
    fault: RESET_RCPT,
    faultFired: true,
    outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0, detail: 'ESOCKET read ECONNRESET' },
    sink: { copies: 0, intact: true },
    reason: 'the client reported a failure',
    transcript: [
      '+    1.0ms #1 -- client connected from 127.0.0.1',
      '+    2.0ms #1 S  220 mock ESMTP',
      '+    3.0ms #1 C  AUTH PLAIN AGpvZQBzM2NyZXQ=',
      '+    4.0ms #1 S  334 ',
      '+    5.0ms #1 C  c2Vjb25kLXNlY3JldA==',
      '+    6.0ms #1 S  235 ok',
      '+    7.0ms #1 C  RCPT TO:<b@wireprobe.test>',
      '+    8.0ms #1 !! fault fired: reset before reply to RCPT',
      '+    8.1ms #1 -- RST to client',
      '+    8.2ms #1 -- FIN from server',
    ],
  }),
  result({
    id: 'smtp/resets/reset-before-rcpt-reply/nodemailer-pool',
    protocol: 'smtp',
    client: 'nodemailer-pool',
    server: 'mock-smtp',
    title: 'RST before the reply to RCPT',
    fault: RESET_RCPT,
    faultFired: true,
    verdict: 'deviates',
    reason: XSS,
    transcript: ['+    1.0ms #1 S  220 </script><!-- <b>bold</b> &amp;'],
  }),
  result({
    id: 'smtp/resets/reset-before-rcpt-reply/nodemailer@postfix',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'postfix',
    title: 'RST before the reply to RCPT',
    fault: RESET_RCPT,
    faultFired: true,
    outcome: { kind: 'reply', code: 421, phase: 'greeting', bytesSent: 0 },
    verdict: 'unfired',
    reason: 'the fault never fired',
  }),
  result({ id: 'smtp/resets/baseline/nodemailer', protocol: 'smtp', client: 'nodemailer', server: 'mock-smtp', title: 'no fault', verdict: 'conformant' }),
];

const FTP: Result[] = [
  result({
    id: 'ftp/resets/reset-data-mid-stor/basic-ftp/passive',
    protocol: 'ftp',
    client: 'basic-ftp',
    mode: 'passive',
    server: 'mock-ftp',
    title: 'RST on the data connection 64 KiB into STOR',
    fault: RESET_STOR,
    faultFired: true,
    outcome: { kind: 'reset', phase: 'stor', bytesSent: 65536, detail: 'read ECONNRESET' },
    ftp: { control: null, sessions: 1, transfers: 1, data: { connections: 1, bytes: 65536, clientSaw: 'rst' } },
    transcript: [
      '+    1.0ms #1 S  220 ready',
      '+    2.0ms #1 C  USER joe',
      '+    3.0ms #1 C  PASS s3cret',
      '+    4.0ms #1 C  STOR f.bin',
      '+    5.0ms #1 !! fault fired at data octet 65536: reset after STOR +64KiB channel data',
      '+    5.1ms #1 -- data 1: RST to client',
    ],
  }),
  result({
    id: 'ftp/resets/reset-data-mid-stor/basic-ftp/active',
    protocol: 'ftp',
    client: 'basic-ftp',
    mode: 'active',
    server: 'mock-ftp',
    title: 'RST on the data connection 64 KiB into STOR',
    fault: RESET_STOR,
    verdict: 'error',
    outcome: null,
    reason: 'the run failed',
  }),
  result({
    id: 'ftp/resets/reset-data-mid-stor/curl/passive@vsftpd',
    protocol: 'ftp',
    client: 'curl',
    mode: 'passive',
    server: 'vsftpd',
    title: 'RST on the data connection 64 KiB into STOR',
    fault: RESET_STOR,
    verdict: 'n/a',
    outcome: null,
    reason: 'curl is not installed',
  }),
];

const RESULTS = [...SMTP, ...FTP];

describe('renderHtml', () => {
  const html = renderHtml(RESULTS, META);

  it('says an interrupted run is incomplete, and how many of the planned runs it holds; a complete run says nothing', () => {
    const incomplete = renderHtml(RESULTS, { ...META, incomplete: { reason: 'interrupted by SIGINT', total: 40 } });
    expect(incomplete).toContain(`<p class="incomplete" role="alert">Incomplete: interrupted by SIGINT; ${RESULTS.length} of 40 runs finished.</p>`);
    expect(html).not.toContain('class="incomplete"');
  });

  it('fetches nothing: no network URL, every src/href a data: URL or a fragment', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/url\s*\(|@import/i);
    const refs = [...html.matchAll(/<[a-z][^>]*?\s(?:src|href)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]);
    expect(refs.every((ref) => ref?.startsWith('data:') || ref?.startsWith('#'))).toBe(true);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes a <script> in a reason, and keeps the JSON block closed', () => {
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt; &amp; &quot;quoted&quot; &#39;too&#39;');
    // Two script elements, the JSON block and the page's own: nothing from the data opens or closes one.
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    const json = /<script type="application\/json" id="wireprobe-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    const records = JSON.parse(json) as { id: string; reason: string; transcript: { text: string }[] }[];
    expect(records.map((r) => r.id)).toEqual(RESULTS.map((r) => r.id));
    expect(records[1]?.reason).toBe(XSS);
    expect(records[1]?.transcript[0]?.text).toContain('</script><!--');
  });

  it('contains each result id, in a cell with its client, server and fault', () => {
    for (const r of RESULTS) expect(html).toContain(`data-id="${r.id}"`);
    expect(html).toContain(
      'data-id="smtp/resets/reset-before-rcpt-reply/nodemailer@postfix" data-client="nodemailer" data-column="nodemailer" data-server="postfix" data-fault="reset before reply to RCPT"',
    );
    expect(html.match(/role="button" tabindex="0"/g)).toHaveLength(RESULTS.length);
    expect(html).toContain('>reset@rcpt<');
    expect(html).toContain('>reply 421@greeting<');
    expect(html).toContain('>n/a<');
    expect(html).toContain('9.8.7');
    expect(html).toContain('2025-01-02T03:04:05.000Z');
    expect(html).toMatch(/7 result\(s\):.*3 conformant.*1 deviates.*1 unfired.*1 error.*1 n\/a/);
  });

  it('redacts credentials in transcripts again: PASS, AUTH initial responses, SASL lines after 334', () => {
    expect(html).not.toContain('s3cret');
    expect(html).not.toContain('AGpvZQBzM2NyZXQ=');
    expect(html).not.toContain('c2Vjb25kLXNlY3JldA==');
    expect(redactTranscript(['#1 C  PASS s3cret', '#2 C  pass s3cret', '#1 C  USER joe'])).toEqual(['#1 C  PASS ***', '#2 C  PASS ***', '#1 C  USER joe']);
    expect(redactTranscript(['#1 S  334 VXNlcm5hbWU6', '#1 C  am9l', '#1 S  334 UGFzc3dvcmQ6', '#1 C  czNjcmV0', '#1 S  235 ok', '#1 C  QUIT'])).toEqual([
      '#1 S  334 VXNlcm5hbWU6',
      '#1 C  ***',
      '#1 S  334 UGFzc3dvcmQ6',
      '#1 C  ***',
      '#1 S  235 ok',
      '#1 C  QUIT',
    ]);
  });

  it('marks RST, FIN and fault lines', () => {
    expect(markLines(['#1 -- RST to client', '#1 -- FIN from server', '#1 !! fault fired: x', '#1 S  250 FINE'])).toEqual([
      { text: '#1 -- RST to client', marks: ['rst'] },
      { text: '#1 -- FIN from server', marks: ['fin'] },
      { text: '#1 !! fault fired: x', marks: ['fault'] },
      { text: '#1 S  250 FINE', marks: [] },
    ]);
  });

  it('puts the TLS variant columns of a client beside its plaintext one, even when a first scenario has no variants', () => {
    const cell = (scenario: string, client: string, tls?: 'none' | 'starttls' | 'implicit') =>
      result({
        id: `smtp/x/${scenario}/${client}${tls === 'starttls' ? '/starttls' : tls === 'implicit' ? '/tls' : ''}`,
        protocol: 'smtp',
        client,
        server: 'mock-smtp',
        ...(tls ? { tls } : {}),
      });
    const page = renderHtml(
      [
        cell('own-tls', 'nodemailer'),
        cell('own-tls', 'curl'),
        ...(['none', 'starttls', 'implicit'] as const).flatMap((tls) => [cell('plain', 'nodemailer', tls), cell('plain', 'curl', tls)]),
      ],
      META,
    );
    const heads = [...page.matchAll(/<th class="col" scope="col"[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(heads).toEqual(['nodemailer', 'nodemailer/starttls', 'nodemailer/tls', 'curl', 'curl/starttls', 'curl/tls']);
  });
});

describe('the report in headless Chromium', () => {
  let dir: string;
  let browser: Browser | undefined;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install/chromium.sh`);
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-html-'));
    const file = join(dir, 'nested', 'report.html');
    await writeHtml(file, RESULTS, META);
    expect(await readFile(file, 'utf8')).toBe(renderHtml(RESULTS, META));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  const cell = (id: string, server: string) => page.locator(`td.cell[data-id="${id}"][data-server="${server}"]`);

  it('shows an SMTP matrix grouped by server and an FTP matrix, and fetches nothing but itself', async () => {
    expect(await page.locator('#matrix-smtp td.cell').count()).toBe(SMTP.length);
    expect(await page.locator('#matrix-ftp td.cell').count()).toBe(FTP.length);
    expect(await page.locator('#matrix-smtp th.server-group').allTextContents()).toEqual(['mock-smtp', 'postfix']);
    expect(await page.locator('#matrix-ftp th.col').allTextContents()).toEqual(['basic-ftp/passive', 'basic-ftp/active', 'curl/passive']);
    expect(await page.locator('#matrix-smtp tbody tr').count()).toBe(2);
    expect(await page.locator('#details').isHidden()).toBe(true);
    expect(requests.every((url) => url.startsWith('file:'))).toBe(true);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
  });

  it('opens the details of a clicked cell: verdict, reason, transcript with its RST line marked', async () => {
    await cell('smtp/resets/reset-before-rcpt-reply/nodemailer', 'mock-smtp').click();
    await page.locator('#details').waitFor({ state: 'visible' });
    expect(await page.locator('#details-id').textContent()).toBe('smtp/resets/reset-before-rcpt-reply/nodemailer');
    const fields = await page.locator('#details-fields').innerText();
    expect(fields).toContain('conformant');
    expect(fields).toContain('the client reported a failure');
    expect(fields).toContain('ESOCKET read ECONNRESET');
    expect(fields).toContain('a rule (RFC 5321 §3.8)');
    const rst = page.locator('#details-transcript .line.rst');
    await rst.waitFor({ state: 'visible' });
    expect(await rst.allTextContents()).toEqual(['+    8.1ms #1 -- RST to client']);
    expect(await page.locator('#details-transcript .line.fin').allTextContents()).toEqual(['+    8.2ms #1 -- FIN from server']);
    expect(await page.locator('#details-transcript .line.fault').count()).toBe(1);
    // The highlighting is visible: the marked line's background differs from a plain line's.
    const background = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor);
    const [marked, plain] = [await background('#details-transcript .line.rst'), await background('#details-transcript .line:not(.rst):not(.fin):not(.fault)')];
    expect(marked).toMatch(/^rgb\(/);
    expect(marked).not.toBe(plain);
    expect(await page.locator('#details-transcript').innerText()).toContain('AUTH PLAIN ***');
  });

  it('opens a cell from the keyboard (Enter), the data shown as text, not markup', async () => {
    const deviating = cell('smtp/resets/reset-before-rcpt-reply/nodemailer-pool', 'mock-smtp');
    await deviating.focus();
    await page.keyboard.press('Enter');
    await page.locator('#details-id', { hasText: 'nodemailer-pool' }).waitFor();
    expect(await page.locator('#details-fields').innerText()).toContain(XSS);
    expect(await page.locator('#details-transcript').innerText()).toBe('+    1.0ms #1 S  220 </script><!-- <b>bold</b> &amp;');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    await cell('ftp/resets/reset-data-mid-stor/basic-ftp/passive', 'mock-ftp').focus();
    await page.keyboard.press('Enter');
    await page.locator('#details-id', { hasText: 'basic-ftp/passive' }).waitFor();
    const transcript = await page.locator('#details-transcript').innerText();
    expect(transcript).toContain('PASS ***');
    expect(transcript).not.toContain('s3cret');
    expect(await page.locator('#details-transcript .line.rst').allTextContents()).toEqual(['+    5.1ms #1 -- data 1: RST to client']);

    await page.keyboard.press('Escape');
    await page.locator('#details').waitFor({ state: 'hidden' });
  });

  it('hides the columns, server groups, rows and matrices the filters leave out', async () => {
    const poolColumn = page.locator('#matrix-smtp th.col[data-column="nodemailer-pool"]');
    const nodemailerColumns = page.locator('#matrix-smtp th.col[data-column="nodemailer"]');
    await poolColumn.waitFor({ state: 'visible' });

    await page.selectOption('#filter-client', 'nodemailer');
    await poolColumn.waitFor({ state: 'hidden' });
    await page.locator('#matrix-smtp td.cell[data-client="nodemailer-pool"]').waitFor({ state: 'hidden' });
    await page.locator('#matrix-ftp').waitFor({ state: 'hidden' });
    expect(await nodemailerColumns.evaluateAll((els) => els.map((el) => (el as { hidden: boolean }).hidden))).toEqual([false, false]);

    await page.selectOption('#filter-server', 'postfix');
    await page.locator('#matrix-smtp th.server-group[data-server="mock-smtp"]').waitFor({ state: 'hidden' });
    // Postfix ran one scenario only: the baseline row has nothing left to show.
    await page.locator('#matrix-smtp tr[data-scenario="smtp/resets/baseline"]').waitFor({ state: 'hidden' });

    await page.selectOption('#filter-client', '');
    await page.selectOption('#filter-server', '');
    await page.selectOption('#filter-fault', 'ftp/resets/reset-data-mid-stor');
    await page.locator('#matrix-smtp').waitFor({ state: 'hidden' });
    await page.locator('#matrix-ftp').waitFor({ state: 'visible' });
    expect(await page.locator('#matrix-ftp td.cell:visible').count()).toBe(FTP.length);

    await page.selectOption('#filter-fault', '');
    await poolColumn.waitFor({ state: 'visible' });
    expect(await page.locator('td.cell:visible').count()).toBe(RESULTS.length);
  });
});
