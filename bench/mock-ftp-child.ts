/**
 * The mock FTP server alone in its own process, no proxy in front (the "mock direct" leg of the FTP
 * rows): `node --import tsx bench/mock-ftp-child.ts` prints `listening on ftp://127.0.0.1:PORT` and
 * serves anonymous uploads until it is killed.
 */
import { startFtpServer } from '../servers/ftp.js';

const server = await startFtpServer({ anonymous: 'write' });
process.stdout.write(`mock listening on ftp://127.0.0.1:${server.port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
