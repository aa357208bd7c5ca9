/** Expectations per suite, by suite name: test/suites.test.ts fails for a suite missing here. */
import { expectFraming } from './framing.expect.js';
import { expectFtpLimits } from './ftp-limits.expect.js';
import { expectFtpModes } from './ftp-modes.expect.js';
import { expectFtpResets } from './ftp-resets.expect.js';
import { expectFtpTls } from './ftp-tls.expect.js';
import { expectFtpUploads } from './ftp-uploads.expect.js';
import { expectLarge } from './large.expect.js';
import { expectLimits } from './limits.expect.js';
import { expectResets } from './resets.expect.js';
import { expectRestart } from './restart.expect.js';
import { expectTimeouts } from './timeouts.expect.js';
import { expectTls } from './tls.expect.js';
import type { Expectations } from './want.js';

export const EXPECTATIONS: Readonly<Record<string, Expectations>> = {
  'smtp/resets': expectResets,
  'smtp/framing': expectFraming,
  'smtp/tls': expectTls,
  'smtp/limits': expectLimits,
  'smtp/restart': expectRestart,
  'smtp/timeouts': expectTimeouts,
  'smtp/large': expectLarge,
  'ftp/resets': expectFtpResets,
  'ftp/modes': expectFtpModes,
  'ftp/uploads': expectFtpUploads,
  'ftp/limits': expectFtpLimits,
  'ftp/tls': expectFtpTls,
};
