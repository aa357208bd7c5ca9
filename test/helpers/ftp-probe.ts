/** What the FTP probe tests share: the mock (and a proxy) started and closed per test, the checks run in order, assertions. */
import { expect } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { parseFault } from '../../src/faults/parse.js';
import { DEFAULT_PROBE_LIMITS, DEFAULT_UPLOAD_OCTETS, type CheckGroup, type Finding, type ProbeLimits, type ProbeTarget } from '../../src/probe/types.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

/** The mock's account for the probe; its password must never show in a finding. */
export const USER = 'probe';
export const PASSWORD = 'Pw-7d1e-never-shown';
/** Short waits: everything is on loopback. */
export const LIMITS: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2000 };
/** The default upload: 8 MiB. */
export const PAYLOAD_OCTETS = DEFAULT_UPLOAD_OCTETS;

/** What a test body gets: the mock, the proxy in front of it (if any), and the target to probe. */
export interface Setup {
  readonly server: FtpServerHandle;
  readonly proxy?: ProxyHandle;
  readonly target: ProbeTarget;
}

/** Starts the mock (a user with PASSWORD), and a proxy in front when `faults` are given; always closes both. */
export async function withTarget(options: FtpServerOptions, faults: readonly string[], body: (setup: Setup) => Promise<void>): Promise<void> {
  const server = await startFtpServer({ users: { [USER]: PASSWORD }, ...options });
  let proxy: ProxyHandle | undefined;
  try {
    proxy =
      faults.length > 0 ? await startProxy({ upstream: { host: server.host, port: server.port }, protocol: 'ftp', faults: faults.map(parseFault) }) : undefined;
    const at = proxy ?? server;
    await body({ server, ...(proxy ? { proxy } : {}), target: { protocol: 'ftp', host: at.host, port: at.port, user: USER, password: PASSWORD } });
  } finally {
    await proxy?.close();
    await server.close();
  }
}

/** Runs `groups` in order, as run.ts will. */
export async function probe(target: ProbeTarget, groups: readonly CheckGroup[], limits: Partial<ProbeLimits> = {}): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const group of groups) findings.push(...(await group(target, { ...LIMITS, ...limits })));
  return findings;
}

/** The one finding with `id` (asserts there is exactly one). */
export function byId(findings: readonly Finding[], id: string): Finding {
  const found = findings.filter((f) => f.id === id);
  expect(found, `exactly one ${id}`).toHaveLength(1);
  return found[0]!;
}

/** id → status (and value when asked), for one-glance assertions. */
export const statuses = (findings: readonly Finding[]): Record<string, string> => Object.fromEntries(findings.map((f) => [f.id, f.status]));

/** The probe left nothing behind, and never showed the password. */
export function expectClean(server: FtpServerHandle, findings: readonly Finding[]): void {
  for (const file of server.files) expect(server.read(file.path), `${file.path} left behind`).toBeUndefined();
  expect(JSON.stringify(findings)).not.toContain(PASSWORD);
  for (const f of findings) {
    expect(f.advice.length, `${f.id} has advice`).toBeGreaterThan(10);
    expect(f.rfc, `${f.id} has a source`).not.toBe('');
  }
}
