/**
 * smtp/restart: the server restarts after the first message's 250. The pooled client notices its
 * dropped connection, opens a new one for the second message and meets the closed (or resetting) port:
 * it reports that one failed, and the first delivered. Per-message clients meet the refused port the
 * same way, except swaks: it reports the first message failed too, although its 250 arrived (the
 * connection died before QUIT), so a retry would deliver it twice.
 */
import { NA, type Want } from './want.js';

export function expectRestart(id: string, client: string): Want | undefined {
  const name = /^smtp\/restart\/(.+)$/.exec(id)?.[1] ?? '';
  const pooled = client === 'nodemailer-pool';
  if (name === 'pool-fin-refused') return pooled ? ['refused', 'connect', 'conformant'] : NA;
  if (name === 'pool-rst-reset') return pooled ? ['reset', 'connect', 'conformant'] : NA;
  if (name !== 'per-message-refused') return undefined;
  if (pooled) return NA;
  return client === 'swaks' ? ['closed', 'dot', 'deviates'] : ['refused', 'connect', 'conformant'];
}
