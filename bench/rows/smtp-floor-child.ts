/**
 * Node's floor for the SMTP rate rows, in its own process: `node --import tsx
 * bench/rows/smtp-floor-child.ts` runs the minimal sink (../lib/min-sink.ts) alone, the floor of any
 * SMTP server written in Node; with `--relay`, behind a bare pipe relay (../lib/pipe-relay.ts) in the
 * same process, linked to it in-process as `serve smtp`'s proxy is to its mock (src/util/socket-pair.ts):
 * the floor of `serve smtp`'s shape, one TCP connection per session and one event loop for both.
 * Prints `floor listening on smtp://127.0.0.1:PORT`; runs until killed.
 */
import { socketPair } from '../../src/util/socket-pair.js';
import { sinkSession, startMinSink } from '../lib/min-sink.js';
import { startPipeRelay } from '../lib/pipe-relay.js';

// tsx turns source maps on, and every `read ECONNRESET` (smtp-source ends each session with an RST)
// then has its stack mapped: measured 1-2% of this process's CPU, which `serve smtp`, run from dist/, never pays.
process.setSourceMapsEnabled(false);

const sink = await startMinSink();
const linked = (): ReturnType<typeof socketPair>['client'] => {
  const { client, server } = socketPair({ address: '127.0.0.1', port: 0 }, { address: '127.0.0.1', port: sink.port });
  sinkSession(server);
  return client;
};
const relay = process.argv.includes('--relay') ? await startPipeRelay(linked) : undefined;
process.stdout.write(`floor listening on smtp://127.0.0.1:${relay?.port ?? sink.port}\n`);
process.on('SIGTERM', () => void Promise.all([relay?.close(), sink.close()]).then(() => process.exit(0)));
