/**
 * AUTH in clear is judged, end to end: a client given the mock's login but told to ignore STARTTLS
 * (tls none) logs in in clear behind `strip STARTTLS`, and the scenario that forbids it calls that a
 * deviation; the transcript keeps the AUTH line with its credentials redacted, and neither it nor the
 * JSON report holds any form of the password.
 */
import { describe, expect, it } from 'vitest';
import { curlClient } from '../../src/clients/curl.js';
import { msmtpClient } from '../../src/clients/msmtp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksClient } from '../../src/clients/swaks.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { toJsonReport } from '../../src/report/json.js';
import { SUITES } from '../../suites/index.js';

const stripped = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'smtp/tls/stripped-auth') as SmtpScenario;
/**
 * The mock's login (src/commands/targets.ts): neither it nor its SASL forms may reach a transcript or a
 * report: AUTH PLAIN's response (nodemailer, curl, smtplib), AUTH LOGIN's user and password (swaks tries LOGIN first).
 */
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const SECRETS = ['wireprobe-smtp-secret', b64('\0wireprobe\0wireprobe-smtp-secret'), b64('wireprobe-smtp-secret'), b64('wireprobe')];

describe('AUTH sent in clear after STARTTLS was stripped', () => {
  it.each([
    ['nodemailer', nodemailerPlain, 'dot'],
    ['smtplib', smtplibClient, 'quit'],
    ['curl', curlClient, 'quit'],
    ['swaks', swaksClient, 'quit'],
  ] as const)('%s with TLS off logs in in clear: a deviation citing RFC 3207 §4 and RFC 8314 §5.2', async (_name, client, phase) => {
    const result = await runScenario({ scenario: { ...stripped, tls: 'none' }, client }, builtinTargets());
    expect(result.outcome).toMatchObject({ kind: 'delivered', phase });
    expect(result.verdict).toBe('deviates');
    expect(result.reason).toMatch(/^sent AUTH in clear; RFC 3207 §4: .*RFC 8314 §5\.2: /);
    const transcript = result.transcript.join('\n');
    expect(transcript).toMatch(/ C {2}AUTH (PLAIN|LOGIN)/i);
    // The JSON report, and its blob form, which carries the transcripts too.
    const reports = [false, true].map((blob) => JSON.stringify(toJsonReport([result], '0.0.0', undefined, { blob })));
    expect(reports[1]).toMatch(/ C {2}AUTH (PLAIN|LOGIN)/i);
    for (const secret of SECRETS) {
      expect(transcript).not.toContain(secret);
      for (const report of reports) expect(report).not.toContain(secret);
    }
  });

  it('msmtp with TLS off is given the login yet will not send it in clear: it gives up at the EHLO reply', async () => {
    const result = await runScenario({ scenario: { ...stripped, tls: 'none' }, client: msmtpClient }, builtinTargets());
    expect([result.outcome?.kind, result.outcome?.phase, result.verdict]).toEqual(['closed', 'ehlo', 'conformant']);
    expect(result.transcript.join('\n')).not.toMatch(/ C {2}AUTH/i);
  });
});
