/** Every client adapter wireprobe knows, by name. */
import { nodemailerPlain, nodemailerPool } from './nodemailer.js';
import type { ClientAdapter } from './types.js';

export const CLIENTS: readonly ClientAdapter[] = [nodemailerPlain, nodemailerPool];
