/** Every client adapter wireprobe knows, by name. */
import { curlClient } from './curl.js';
import { msmtpClient } from './msmtp.js';
import { nodemailerPlain, nodemailerPool } from './nodemailer.js';
import { smtplibClient } from './smtplib.js';
import { swaksClient } from './swaks.js';
import type { ClientAdapter } from './types.js';

/** Every client, in matrix column order. */
export const CLIENTS: readonly ClientAdapter[] = [nodemailerPlain, nodemailerPool, curlClient, swaksClient, msmtpClient, smtplibClient];

/** The clients `run` uses by default: in process, nothing to install. */
export const DEFAULT_CLIENTS: readonly ClientAdapter[] = CLIENTS.filter((c) => !c.requires);
