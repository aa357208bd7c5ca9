/**
 * FTP checks of data connections: `ftp.pasv-address`, `ftp.pasv-connect`, `ftp.epsv`, `ftp.active`,
 * `ftp.port-bounce` (ids documented in ./ftp-ids.ts). One logged-in session, in this order (EPSV ALL last:
 * it forbids PASV and PORT for the rest of the session):
 *
 *   PASV ─► address = control peer? ─ no ─► connect there? ─ no ─► control address with that port?
 *   PASV ─► connect (the address that worked) ─► LIST ─► 150 … 226          pasv-connect
 *   EPSV ─► connect control host:port ─► LIST ─► 150 … 226                  epsv
 *   PORT/EPRT to our listener ─► LIST ─► the server connects back ─► 226    active
 *   PORT 127.0.0.2,<unused port> ─► must be refused (no transfer follows)   port-bounce
 *   EPSV ALL ─► 200, then PASV, PORT and EPRT must each be refused          epsv
 *
 * Every connect and accept is bounded by limits.replyTimeoutMs. The only address the probe names that
 * is not the server's or its own is the third-party PORT's: 127.0.0.2 (loopback), a port where nothing
 * listens, and no transfer is started after it.
 */
import { isIPv4 } from 'node:net';
import { parse227, type HostPort } from '../protocol/ftp-address.js';
import { fresh, openLoggedIn, type FtpSession, type Transfer } from './ftp-control.js';
import { finding, merge, seconds, skipped } from './finding.js';
import { addressClass, codeOf, failedHow, said, unusedPort } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import type { ConnectFailure } from './raw-connect.js';
import type { Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

const RFC = {
  'pasv-address': rfcOf('ftp.pasv-address'),
  'pasv-connect': rfcOf('ftp.pasv-connect'),
  epsv: rfcOf('ftp.epsv'),
  active: rfcOf('ftp.active'),
  'port-bounce': rfcOf('ftp.port-bounce'),
} as const;

/** The third-party address a bounce check names: loopback, where nothing of ours or the server's listens. */
export const THIRD_PARTY_HOST = '127.0.0.2';

const SET_ADDRESS = 'set pasv_address / MasqueradeAddress / -P to the address clients reach';
const OPEN_RANGE = 'open and forward the passive port range (pasv_min_port/pasv_max_port, PassivePorts, pure-ftpd -p)';

/** The data-connection checks. */
export async function ftpDataChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  const ids = Object.keys(RFC) as (keyof typeof RFC)[];
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return ids.map((id) => skipped(`ftp.${id}`, RFC[id], opened.why));
  let s: FtpSession | undefined = opened.session;
  /** Runs a check on a session in step: a new one when the last check left this one waiting in vain. */
  const run = async (id: keyof typeof RFC, check: (s: FtpSession) => Promise<Finding>): Promise<Finding> => {
    s = s && (await fresh(s, target, limits));
    return s ? check(s) : skipped(`ftp.${id}`, RFC[id], 'Not run: the session broke and no new one could be opened.');
  };
  try {
    let use: Use = 'control';
    let refused: boolean | undefined;
    let worked = false;
    const address = await run('pasv-address', async (x) => {
      const r = await pasvAddress(x);
      ({ use, refused } = r);
      return r.finding;
    });
    const connect = await run('pasv-connect', (x) => pasvConnect(x, use, refused));
    const epsv = await run('epsv', async (x) => {
      const r = await epsvCheck(x, refused === true);
      worked = r.worked;
      return r.finding;
    });
    const active = await run('active', activeCheck);
    const bounce = await run('port-bounce', bounceCheck);
    const epsvFinal = worked ? await run('epsv', (x) => epsvAll(x, epsv)) : epsv;
    return [address, connect, epsvFinal, active, bounce];
  } finally {
    await s?.quit();
  }
}

/** Where pasv-connect should connect: the advertised address only when it equals the control address. */
type Use = 'advertised' | 'control';

async function pasvAddress(s: FtpSession): Promise<{ finding: Finding; use: Use; refused?: boolean }> {
  const id = 'ftp.pasv-address';
  const rfc = RFC['pasv-address'];
  const read = await s.command('PASV');
  if (!read.ok)
    return { finding: finding(id, 'fail', rfc, `PASV got no reply (${read.event}): passive-mode clients hang here.`, s.take()), use: 'control', refused: true };
  const ipv6 = !isIPv4(s.peer);
  if (read.value.code !== 227) {
    if (ipv6 && read.value.code >= 400) {
      const advice = `PASV is refused over IPv6 (${said(read)}), as it should be: its 227 reply can name only an IPv4 address (RFC 959 §4.1.2), RFC 2428 §1 replaces PASV with EPSV, and §4 says EPSV MUST be used; clients over IPv6 use EPSV (see ftp.epsv).`;
      return { finding: finding(id, 'pass', rfc, advice, s.take(), read.value.code), use: 'control', refused: true };
    }
    const status: FindingStatus = read.value.code >= 400 ? 'warn' : 'fail';
    const advice = `PASV is refused (${said(read)}): passive mode is off, and most clients (browsers, curl, FileZilla behind NAT) use nothing else.`;
    return { finding: finding(id, status, rfc, advice, s.take(), read.value.code), use: 'control', refused: true };
  }
  const advertised = parse227(`227 ${read.value.lines.join(' ')}`);
  if (!advertised)
    return {
      finding: finding(id, 'fail', rfc, `The 227 reply has no address (h1,h2,h3,h4,p1,p2): clients cannot open a data connection.`, s.take()),
      use: 'control',
    };
  const peer = s.peer;
  const host = advertised.host;
  if (ipv6) {
    // Not connected to: the address is IPv4, the control connection IPv6, and no client should follow it.
    const advice = `PASV over IPv6 got a 227 naming ${host}, an IPv4 address, while the control connection is ${peer}: a client that follows it leaves IPv6 (and fails where it has no IPv4 route); RFC 2428 §1 replaces PASV with EPSV and §4 says EPSV MUST be used, so refuse PASV over IPv6 (500/502) and answer EPSV.`;
    return { finding: finding(id, 'warn', rfc, advice, s.take(), host), use: 'control', refused: true };
  }
  if (host === peer)
    return { finding: finding(id, 'pass', rfc, `PASV advertises ${host}, the address of the control connection.`, s.take(), host), use: 'advertised' };
  // The advertised address is reported, never connected to: like curl and lftp (and FileZilla for a
  // private address), the probe uses the control connection's address, so a 227 cannot aim it elsewhere.
  const cls = addressClass(host);
  const unroutable = cls === 'unspecified' || (cls !== 'public' && addressClass(peer) === 'public');
  const viaControl = await s.connectData({ host: peer, port: advertised.port });
  if (viaControl.ok) {
    viaControl.conn.destroy();
    // Another public address may be a deliberate multi-homed setup: clients that follow the 227 may still reach it.
    const status: FindingStatus = cls === 'public' && addressClass(peer) === 'public' ? 'warn' : 'fail';
    const what = unroutable
      ? `${cls === 'unspecified' ? 'not an address anyone can connect to' : `a ${cls} address while the control connection is public`}`
      : `not the control address ${peer}`;
    return {
      finding: finding(
        id,
        status,
        rfc,
        `PASV advertises ${host} (${what}; not connected to: the probe uses the control address, as curl and lftp do), and the control address with that port works: clients that follow the 227 fail; ${SET_ADDRESS}.`,
        s.take(),
        host,
      ),
      use: 'control',
    };
  }
  const advice = `PASV advertises ${host} (not connected to: the probe uses the control address, as curl and lftp do), and the control address ${peer} with that port ${failedHow(viaControl.failure)}: ${SET_ADDRESS}, and ${OPEN_RANGE}.`;
  return { finding: finding(id, 'fail', rfc, advice, s.take(), host), use: 'control' };
}

/** Advice for a data port that could not be connected to. */
function unreachablePort(what: string, to: HostPort, failure: ConnectFailure): string {
  if (failure.kind === 'timeout')
    return `${what} ${to.host}:${to.port} did not answer within ${seconds(failure.ms, 1)} s: a firewall drops the passive ports; ${OPEN_RANGE}.`;
  if (failure.kind === 'refused')
    return `${what} ${to.host}:${to.port} refused the connection: the passive port is not forwarded to the server, or the server listens on another address; ${OPEN_RANGE}.`;
  return `${what} ${to.host}:${to.port} ${failedHow(failure)}: ${OPEN_RANGE}.`;
}

/** Judges a LIST over an open data connection: 1xx, the listing, then 226/250. */
function listWorked(t: Transfer): { ok: boolean; why: string } {
  if (!t.first.ok || t.first.value.code >= 200) return { ok: false, why: `LIST got ${said(t.first)} instead of 150` };
  if (t.dataFailed) return { ok: false, why: `the data connection was never made (${t.dataFailed}); then ${said(t.final)}` };
  const code = codeOf(t.final);
  if (code !== 226 && code !== 250) return { ok: false, why: `LIST ended with ${said(t.final)} instead of 226` };
  if (t.dataEnd !== 'closed') return { ok: false, why: `the data connection did not end cleanly (${t.dataEnd})` };
  return { ok: true, why: `LIST answered ${t.first.ok ? t.first.value.code : 150} … ${code} (${t.data?.length ?? 0} octets)` };
}

async function pasvConnect(s: FtpSession, use: Use, refused?: boolean): Promise<Finding> {
  const id = 'ftp.pasv-connect';
  const rfc = RFC['pasv-connect'];
  if (!isIPv4(s.peer)) return skipped(id, rfc, 'Not run over IPv6: a 227 cannot name an IPv6 address, so data connections use EPSV (see ftp.epsv).');
  if (refused) return skipped(id, rfc, 'Not run: PASV is refused or unanswered (see ftp.pasv-address).');
  const r = await s.passive('PASV', use);
  if (!r.ok) {
    if (r.stage === 'reply') return finding(id, 'fail', rfc, `PASV got ${said(r.read)} on the second try.`, s.take(), codeOf(r.read) || undefined);
    if (r.stage === 'parse') return finding(id, 'fail', rfc, 'The 227 reply has no address (see ftp.pasv-address).', s.take());
    return finding(id, 'fail', rfc, unreachablePort('The passive port', r.tried, r.failure), s.take(), r.tried.port);
  }
  const list = listWorked(await s.transfer(r.plan, 'LIST'));
  const where = `${r.plan.address.host}:${r.plan.address.port}`;
  if (!list.ok) return finding(id, 'fail', rfc, `Connected to the passive port ${where}, but ${list.why}.`, s.take(), r.plan.address.port);
  return finding(id, 'pass', rfc, `Connected to the passive port ${where}; ${list.why}.`, s.take(), r.plan.address.port);
}

/** `pasvRefused`: ftp.pasv-address found PASV refused or unanswered, so no client can fall back to it. */
async function epsvCheck(s: FtpSession, pasvRefused: boolean): Promise<{ finding: Finding; worked: boolean }> {
  const id = 'ftp.epsv';
  const rfc = RFC.epsv;
  const r = await s.passive('EPSV', 'control');
  if (!r.ok) {
    if (r.stage === 'reply') {
      const code = codeOf(r.read);
      if (code >= 500) {
        const ipv6 = !isIPv4(s.peer);
        const advice =
          pasvRefused && !ipv6
            ? `EPSV is refused (${said(r.read)}), and PASV as well (see ftp.pasv-address): there is no passive mode, and clients behind NAT or a firewall, which cannot take active connections, cannot transfer at all.`
            : `EPSV is not supported (${said(r.read)}): ${ipv6 ? 'over IPv6 passive mode cannot work without it' : 'clients that try EPSV first (curl, lftp, basic-ftp) fall back to PASV, and IPv6 clients have no passive mode'}.`;
        return { finding: finding(id, ipv6 ? 'fail' : 'warn', rfc, advice, s.take(), code), worked: false };
      }
      return { finding: finding(id, 'fail', rfc, `EPSV got ${said(r.read)} instead of 229.`, s.take(), code || undefined), worked: false };
    }
    if (r.stage === 'parse')
      return { finding: finding(id, 'fail', rfc, 'The 229 reply has no port in the (|||port|) form: clients cannot use it.', s.take()), worked: false };
    return { finding: finding(id, 'fail', rfc, unreachablePort('The EPSV port', r.tried, r.failure), s.take(), r.tried.port), worked: false };
  }
  const list = listWorked(await s.transfer(r.plan, 'LIST'));
  const port = r.plan.address.port;
  if (!list.ok) return { finding: finding(id, 'fail', rfc, `Connected to the EPSV port ${port}, but ${list.why}.`, s.take(), port), worked: false };
  return { finding: finding(id, 'pass', rfc, `EPSV gave port ${port} on the control address; ${list.why}.`, s.take(), port), worked: true };
}

/**
 * RFC 2428 §3: after EPSV ALL the server must refuse every other data-connection setup: PASV, PORT and
 * EPRT are each tried (PORT/EPRT naming a listener of the probe's own on the control connection's local
 * address, and no transfer follows, so nothing connects anywhere else). Folded into the epsv finding;
 * any accepted is named in its value.
 */
async function epsvAll(s: FtpSession, before: Finding): Promise<Finding> {
  const all = await s.command('EPSV ALL');
  let status: FindingStatus = 'pass';
  let value = before.value;
  let advice: string;
  // RFC 2428 names no reply code for EPSV ALL: any 2xx takes it (pure-ftpd and pyftpdlib answer 220).
  const taken = codeOf(all) >= 200 && codeOf(all) < 300;
  if (!taken) {
    status = 'warn';
    advice = `; but EPSV ALL got ${said(all)} instead of a 2xx, so NAT devices cannot be told that only EPSV will be used (RFC 2428 §4).`;
  } else {
    const verbs: ('PASV' | 'PORT' | 'EPRT')[] = isIPv4(s.local) ? ['PASV', 'PORT', 'EPRT'] : ['PASV', 'EPRT'];
    const refused: string[] = [];
    const accepted: string[] = [];
    const unanswered: string[] = [];
    for (const verb of verbs) {
      if (s.stale) break;
      let read: Awaited<ReturnType<typeof s.command>>;
      if (verb === 'PASV') read = await s.command('PASV');
      else {
        const r = await s.active(verb);
        r.plan?.close();
        read = r.read;
      }
      if (!read.ok) unanswered.push(`${verb} (${read.event})`);
      else if (read.value.code >= 400) refused.push(`${verb} (${read.value.code})`);
      else accepted.push(`${verb} (${said(read)})`);
    }
    const refusals = refused.length > 0 ? `${refused.join(', ')} refused` : '';
    if (accepted.length > 0) {
      status = 'warn';
      value = `${accepted.map((a) => a.split(' ')[0]).join(', ')} accepted after EPSV ALL`;
      advice = `; but after EPSV ALL, ${accepted.join(', ')} ${accepted.length > 1 ? 'were' : 'was'} accepted${refusals ? ` (${refusals})` : ''}: RFC 2428 §3 says every data-connection command but EPSV must be refused, which NAT devices rely on (§4).`;
    } else if (unanswered.length > 0) {
      status = 'warn';
      advice = `; but after EPSV ALL, ${unanswered.join(', ')} got no reply${refusals ? ` (${refusals})` : ''}: RFC 2428 §3 asks for a refusal.`;
    } else advice = `; after EPSV ALL, ${refusals} as RFC 2428 §3 requires.`;
  }
  const transcript = merge(before, s.take(), 'EPSV ALL, at the end of the session');
  return finding(before.id, status, before.rfc, `${before.advice.replace(/\.$/, '')}${advice}`, transcript, value);
}

async function activeCheck(s: FtpSession): Promise<Finding> {
  const id = 'ftp.active';
  const rfc = RFC.active;
  const verb = isIPv4(s.local) ? 'PORT' : 'EPRT';
  const { read, plan } = await s.active(verb);
  if (!read.ok) return finding(id, 'fail', rfc, `${verb} got no reply (${read.event}).`, s.take());
  if (!plan) {
    const advice = `Active mode is refused (${said(read)}): clients set to active mode fail; fine if passive mode works and this is intended.`;
    return finding(id, read.value.code >= 400 ? 'warn' : 'fail', rfc, advice, s.take(), read.value.code);
  }
  const t = await s.transfer(plan, 'LIST');
  const list = listWorked(t);
  // A probe behind NAT cannot be connected back to: then the failure may be ours, not the server's.
  const natHere = addressClass(s.local) !== 'public' && addressClass(s.peer) === 'public';
  const here = `${plan.address.host}:${plan.address.port}`;
  if (!list.ok) {
    const cause = natHere
      ? 'the probe looks to be behind NAT, which alone explains it'
      : 'a firewall blocks its outgoing connections (from port 20 or any), or it ignores the address given';
    const advice = `${verb} ${here} was accepted, but ${list.why}; the server could not connect back to the probe: ${cause}.`;
    return finding(id, natHere ? 'warn' : 'fail', rfc, advice, s.take(), read.value.code);
  }
  return finding(id, 'pass', rfc, `${verb} to ${here} got 200 and the server connected back; ${list.why}.`, s.take(), read.value.code);
}

async function bounceCheck(s: FtpSession): Promise<Finding> {
  const id = 'ftp.port-bounce';
  const rfc = RFC['port-bounce'];
  // PORT carries IPv4 only; over IPv6 the same question is asked with EPRT (family 1).
  const verb = isIPv4(s.peer) ? 'PORT' : 'EPRT';
  const to = { host: THIRD_PARTY_HOST, port: await unusedPort(THIRD_PARTY_HOST) };
  const { read } = await s.active(verb, to);
  if (!read.ok) return finding(id, 'fail', rfc, `${verb} to a third-party address got no reply (${read.event}).`, s.take());
  const code = read.value.code;
  // Only a refusal (5xx: vsftpd's 500 Illegal PORT command) turns the address away. A 425 is a server
  // that connected there at once and found nothing listening (Twisted's): it takes any address.
  if (code < 500) {
    const how = code >= 200 && code < 300 ? 'was accepted' : `was not refused: the server tried to connect there at once (${said(read)})`;
    const advice = `${verb} naming ${to.host}, an address other than the client's, ${how}: refuse it (the bounce attack of RFC 2577 §2; vsftpd port_promiscuous=NO, proftpd AllowForeignAddress off), or the server can be used to bounce connections; no transfer was started.`;
    return finding(id, 'warn', rfc, advice, s.take(), code);
  }
  return finding(id, 'pass', rfc, `${verb} naming ${to.host}, an address other than the client's, was refused (${said(read)}).`, s.take(), code);
}
