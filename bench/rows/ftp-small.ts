/**
 * Small files, one session: Python's ftplib (one control connection, passive) stores SMALL_FILES files
 * of 1 KiB each, one after the other, as a backup or sync job does:
 *
 *   mock direct   ftplib ──► mock FTP server (own process, no proxy), its spool folder on tmpfs
 *   through proxy ftplib ──► wireprobe serve ftp (proxy + mock in one process)
 *   vsftpd        ftplib ──► vsftpd, its upload directory on tmpfs
 *
 * Each upload is PASV, a data connection, STOR, 150, 1 KiB, 226: the row measures what a server costs
 * per transfer, where the bulk rows (./ftp-upload.ts) measure octets. (curl is not the client here:
 * curl 7.88 waits a second before it connects a data connection whose 229 reply it read in the same
 * turn as it sent EPSV, which a fast server meets at random.)
 */
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { have, timed } from '../lib/procs.js';
import { median, pairRatios, spread, type BenchRow } from '../lib/stats.js';
import { ftpServers } from './ftp-upload.js';

/** Uploads per run. */
const SMALL_FILES = 500;

/** ftplib: log in anonymously at argv[1]:argv[2], change to argv[3], store argv[4] files of 1 KiB, quit. */
const CLIENT = `
import ftplib, io, sys
ftp = ftplib.FTP()
ftp.connect(sys.argv[1], int(sys.argv[2]))
ftp.login()
ftp.cwd(sys.argv[3])
data = bytes(range(256)) * 4
for i in range(int(sys.argv[4])):
    ftp.storbinary('STOR small-%d.bin' % (i % 50), io.BytesIO(data))
ftp.quit()
`;

/** Uploads per second of one ftplib run against 127.0.0.1:`port`, in `dir`. */
async function run(port: number, dir: string): Promise<number> {
  const ms = await timed('python3', ['-c', CLIENT, '127.0.0.1', String(port), dir, String(SMALL_FILES)]);
  return SMALL_FILES / (ms / 1000);
}

export async function ftpSmallFiles(rounds: number): Promise<BenchRow> {
  const what = `FTP ${SMALL_FILES} uploads of 1 KiB in one session (Python ftplib), mock direct vs vsftpd (tmpfs)`;
  if (!(await have('python3'))) return { what, ours: 'not measured', anchor: 'python3 missing: apt-get install python3', goal: '>= 0.5x' };
  const stops: (() => Promise<void>)[] = [];
  try {
    const { mock, wp, vsftpd } = await ftpServers(stops);
    const direct: number[] = [];
    const proxied: number[] = [];
    const anchor: number[] = [];
    for (let i = 0; i < rounds; i++) {
      direct.push(await run(mock.port, '/'));
      proxied.push(await run(wp.port, '/'));
      if (vsftpd) anchor.push(await run(vsftpd.port, vsftpd.login!.dir));
    }
    const ours = `${spread(direct)} uploads/s; through serve ftp ${spread(proxied)}`;
    if (!vsftpd) return { what, ours, anchor: `vsftpd missing: ${vsftpdLauncher.install}`, goal: '>= 0.5x' };
    const ratio = pairRatios(direct, anchor);
    return { what, ours, anchor: `vsftpd ${spread(anchor)} uploads/s`, ratio, goal: '>= 0.5x', met: median(ratio) >= 0.5 };
  } finally {
    await Promise.all(stops.map((stop) => stop()));
  }
}
