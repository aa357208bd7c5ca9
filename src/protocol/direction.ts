/** Which way octets travel on a proxied connection. */

/** `up`: client to server. `down`: server to client. */
export type Direction = 'up' | 'down';
