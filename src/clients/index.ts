/** Every client adapter wireprobe knows, by name. */
import { basicFtpClient } from './basic-ftp.js';
import { curlClient } from './curl.js';
import { curlFtpClient } from './curl-ftp.js';
import { eximRelayClient } from './exim-relay.js';
import { ftplibClient } from './ftplib.js';
import { lftpClient } from './lftp.js';
import { msmtpClient } from './msmtp.js';
import { nodemailerPlain, nodemailerPool } from './nodemailer.js';
import { postfixRelayClient } from './postfix-relay.js';
import { smtplibClient } from './smtplib.js';
import { swaksClient } from './swaks.js';
import type { ClientAdapter } from './types.js';

/**
 * Every client, in matrix column order: SMTP, then FTP. A name may stand for one client per protocol
 * (`curl` speaks both); `--client curl` selects both.
 */
export const CLIENTS: readonly ClientAdapter[] = [
  nodemailerPlain,
  nodemailerPool,
  curlClient,
  swaksClient,
  msmtpClient,
  smtplibClient,
  basicFtpClient,
  curlFtpClient,
  lftpClient,
  ftplibClient,
];

/**
 * Clients run only when named (`--client postfix-relay`), never by `all` nor in every suite: each job
 * starts a whole MTA (about a second), and their expectations are measured suite by suite (smtp/resets).
 */
export const OPT_IN_CLIENTS: readonly ClientAdapter[] = [postfixRelayClient, eximRelayClient];

/** The clients `run` uses by default: in process, nothing to install. */
export const DEFAULT_CLIENTS: readonly ClientAdapter[] = CLIENTS.filter((c) => !c.requires);
