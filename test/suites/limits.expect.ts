/**
 * smtp/limits: 5 parallel sends against a limit of 2 sessions. Clients that connect per message see
 * the first failure at the door (421, or an RST) and account for every message; in the backlog they
 * wait without a greeting and all deliver. The pooled client is n/a there (one pooled connection never
 * meets the limit); its pool of 5 gets the server's 421 on 3 connections and reports those 3 failed.
 */
import { NA, type Want } from './want.js';

const PER_MESSAGE = ['nodemailer', 'curl', 'swaks', 'msmtp', 'smtplib'];

export function expectLimits(id: string, client: string): Want | undefined {
  const name = /^smtp\/limits\/(.+)$/.exec(id)?.[1] ?? '';
  const pooled = client === 'nodemailer-pool';
  switch (name) {
    case 'over-limit-421':
      return pooled ? NA : ['reply', 'greeting', 'conformant'];
    case 'over-limit-reset':
      return pooled ? NA : ['reset', 'connect', 'conformant'];
    case 'over-limit-backlog':
      return pooled ? NA : ['delivered', client === 'nodemailer' ? 'dot' : 'quit', 'conformant'];
    case 'pool-below-limit':
      return pooled ? ['delivered', 'dot', 'conformant'] : PER_MESSAGE.includes(client) ? NA : undefined;
    case 'pool-above-limit':
      return pooled ? ['reply', 'greeting', 'conformant'] : PER_MESSAGE.includes(client) ? NA : undefined;
    default:
      return undefined;
  }
}
