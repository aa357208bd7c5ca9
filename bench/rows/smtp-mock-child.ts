/**
 * The mock SMTP server alone in its own process, no proxy in front: the SMTP rows' "mock alone" leg,
 * which tells the mock's share of `serve smtp`'s cost from the proxy's. `node --import tsx
 * bench/rows/smtp-mock-child.ts` prints `mock listening on smtp://127.0.0.1:PORT` and accepts
 * messages (size limit 2 GiB, the newest 100 kept, as `serve smtp --size-limit 2GiB` does) until it
 * is killed.
 */
import { startSmtpServer } from '../../servers/smtp.js';

// tsx turns source maps on, and every `read ECONNRESET` (smtp-source ends each session with an RST)
// then has its stack mapped: measured 1-2% of this process's CPU, which `serve smtp`, run from dist/, never pays.
process.setSourceMapsEnabled(false);

const server = await startSmtpServer({ sizeLimit: 2 * 2 ** 30, keep: 100 });
process.stdout.write(`mock listening on smtp://127.0.0.1:${server.port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
