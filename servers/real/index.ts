/** Every real-server launcher, in the order reports list them (MTAs, then FTP servers). */
import type { RealServerLauncher } from './types.js';

export const REAL_SERVERS: readonly RealServerLauncher[] = [];

export type { RealServerHandle, RealServerLauncher, RealServerName, RealServerOptions } from './types.js';
export { ServerNotInstalled } from './types.js';
