/**
 * The registry of checks and the id tables stay in step: each protocol's groups, in run order, report
 * exactly the ids of its table in report order, every id in one group only.
 */
import { describe, expect, it } from 'vitest';
import { FINDINGS, rfcOf } from '../../src/probe/ids.js';
import { CHECK_GROUPS, PROBE_CHECKS } from '../../src/probe/registry.js';

describe('the registry of probe checks', () => {
  it.each(['smtp', 'ftp'] as const)('registers the %s groups with exactly the ids of the id table, in report order', (protocol) => {
    const registered = CHECK_GROUPS.filter((g) => g.protocol === protocol).flatMap((g) => g.ids);
    expect(registered).toEqual(FINDINGS.filter((f) => f.protocol === protocol).map((f) => f.id));
    expect(PROBE_CHECKS[protocol].ids?.map((f) => f.id)).toEqual(registered);
  });

  it('names each id with its own protocol and looks up the source it cites', () => {
    for (const group of CHECK_GROUPS) for (const id of group.ids) expect(id.startsWith(`${group.protocol}.`)).toBe(true);
    expect(rfcOf('smtp.open-relay')).toBe('RFC 5321 §3.6.2, §7.9; RFC 2505 §2.1');
    expect(rfcOf('ftp.epsv')).toBe('RFC 2428 §3, §4');
  });

  it('awaits only the FTP upload groups (integrity, quota, data-timeout, long-transfer) after an interrupt', () => {
    expect(PROBE_CHECKS.smtp.cleansUp).toEqual([]);
    const uploads = ['ftp.integrity', 'ftp.quota', 'ftp.data-timeout', 'ftp.long-transfer'];
    expect(PROBE_CHECKS.ftp.cleansUp).toEqual(CHECK_GROUPS.filter((g) => g.ids.some((id) => uploads.includes(id))).map((g) => g.run));
  });
});
