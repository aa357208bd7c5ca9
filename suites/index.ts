/** Every built-in suite, in the order `wireprobe run` runs them. */
import { limits as ftpLimits } from './ftp/limits.js';
import { modes as ftpModes } from './ftp/modes.js';
import { resets as ftpResets } from './ftp/resets.js';
import { tls as ftpTls } from './ftp/tls.js';
import { uploads as ftpUploads } from './ftp/uploads.js';
import { framing } from './smtp/framing.js';
import { large } from './smtp/large.js';
import { limits } from './smtp/limits.js';
import { resets } from './smtp/resets.js';
import { restart } from './smtp/restart.js';
import { timeouts } from './smtp/timeouts.js';
import { tls } from './smtp/tls.js';
import type { Suite } from './types.js';

export type { Suite } from './types.js';

/** What the built-in suites take as input (the CLI reads it from the environment; suites never do). */
export interface SuiteOptions {
  /** ftp/uploads: the upload size, MiB, a whole number from 1 to 1024; default 32. */
  readonly ftpUploadMib?: number;
}

/** Every built-in suite, sized by `options`. */
export function builtinSuites(options: SuiteOptions = {}): readonly Suite[] {
  return [resets, timeouts, large, framing, tls, limits, restart, ftpResets, ftpModes, ftpUploads(options.ftpUploadMib), ftpLimits, ftpTls];
}

/** Every built-in suite with its default sizes. */
export const SUITES: readonly Suite[] = builtinSuites();
