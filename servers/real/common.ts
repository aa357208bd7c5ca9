/**
 * What every real-server launcher shares (FTP and SMTP alike), gathered from the files that own each
 * job, so that a launcher imports it from one place:
 *   ports.ts     loopback address, free ports and port ranges
 *   files.ts     private directory, localhost certificate, log tails, a login's files under its root
 *   binaries.ts  finding a binary, short helper commands, system accounts
 *   process.ts   the server process: spawned in its own PID namespace, stopped completely (proc.ts: /proc)
 *   banner.ts    readiness: its `220 ` greeting answered and that session gone
 *   launch.ts    launchServer (directory, config, process, greeting) and the handle it gives
 *   options.ts   options no real server can honour
 *   tls.ts       TLS options a server cannot honour, and the TLS its handle reports
 */
export { START_DEADLINE_MS, STOP_GRACE_MS } from './deadlines.js';
export { freePort, freePortRange, isLoopbackV4, LOOPBACK, LOOPBACK6, PASSIVE_RANGE_SIZE, portFree, untilPortFree } from './ports.js';
export { digestUnder, makePrivateDir, readUnder, removeDir, tail, writeLocalhostCertificate, writeUnder, type CertificateFiles } from './files.js';
export { account, findBinary, runHelper, sha512Crypt, type Account } from './binaries.js';
export { canIsolate, spawnServer, type ServerProcess, type SpawnOptions } from './process.js';
export { awaitBanner, untilNoChildren } from './banner.js';
export { launchServer, onFreePort, serverHandle, urlHost, type Launched, type LaunchedServer, type ProcessLauncher, type ServerCommand } from './launch.js';
export { invalidOptions, notWhole } from './options.js';
export { certificateKeyType, openSslMaxVersionConf, tlsOffered, tlsUnsupported, type TlsAbilities } from './tls.js';
