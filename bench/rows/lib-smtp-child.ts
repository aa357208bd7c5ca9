/**
 * The library's mock SMTP server (`startSmtp`, as a user's test code starts it: defaults, every message
 * and session kept) in its own process, for the sessions group's row on its cost per message over a long
 * run. `node --import tsx bench/rows/lib-smtp-child.ts` prints `startSmtp listening on smtp://127.0.0.1:PORT`
 * and accepts messages until it is killed.
 */
import { startSmtp } from '../../src/lib/smtp.js';

// tsx turns source maps on, and every `read ECONNRESET` (smtp-source ends each session with an RST)
// then has its stack mapped: a cost the library, run from dist/, never pays.
process.setSourceMapsEnabled(false);

const mock = await startSmtp();
process.stdout.write(`startSmtp listening on ${mock.url}\n`);
process.on('SIGTERM', () => void mock.close().then(() => process.exit(0)));
