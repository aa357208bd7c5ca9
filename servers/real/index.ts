/** Every real-server launcher, in the order reports list them (MTAs, then FTP servers). */
import { eximLauncher } from './exim.js';
import { postfixLauncher } from './postfix.js';
import { proftpdLauncher } from './proftpd.js';
import { pureFtpdLauncher } from './pure-ftpd.js';
import type { RealServerLauncher } from './types.js';
import { vsftpdLauncher } from './vsftpd.js';

export const REAL_SERVERS: readonly RealServerLauncher[] = [postfixLauncher, eximLauncher, vsftpdLauncher, pureFtpdLauncher, proftpdLauncher];

export type { RealServerHandle, RealServerLauncher, RealServerName, RealServerOptions } from './types.js';
export { ServerNotInstalled } from './types.js';
