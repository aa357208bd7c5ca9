/**
 * smtp/framing: every client frames fragmented, coalesced and bare-LF replies and dot-stuffs, so all
 * deliver intact. nodemailer ends after the 250 to the dot (it sends no QUIT); the others end at QUIT.
 */
import type { Want } from './want.js';

export function expectFraming(id: string, client: string): Want | undefined {
  if (!id.startsWith('smtp/framing/')) return undefined;
  return ['delivered', client.startsWith('nodemailer') ? 'dot' : 'quit', 'conformant'];
}
