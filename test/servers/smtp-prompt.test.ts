import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { PromptConnection, PromptSMTPServer } from '../../servers/smtp/prompt-server.js';

/** A function's source without comments and with whitespace collapsed: what it does, not how it is laid out. */
const code = (f: (...args: never[]) => unknown): string =>
  f
    .toString()
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** Connects, resolves with the first line the server sends, and closes. */
async function firstLine(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let text = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\r\n');
        if (end >= 0) resolve(text.slice(0, end));
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`closed before a whole line: ${JSON.stringify(text)}`)));
    });
  } finally {
    socket.destroy();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('PromptSMTPServer', () => {
  // PromptConnection.init and PromptSMTPServer.connect copy these two bodies, less the 100 ms wait. A
  // smtp-server that changes either (a new check before the greeting, another connection class, the wait
  // moved elsewhere) fails here: read its new code and bring the overrides in line before updating this.
  it('overrides smtp-server bodies that are still the ones it was written against', () => {
    expect(code(SMTPConnection.prototype.init)).toBe(
      "init() { this._setListeners(() => { if (this._server.options.maxClients && this._server.connections.size > this._server.options.maxClients) { return this.send(421, this.name + ' Too many connected clients, try again in a moment', false); } let readyTimer = setTimeout(() => this.connectionReady(), 100); readyTimer.unref(); }); }",
    );
    expect(code(SMTPServer.prototype.connect)).toBe(
      "connect(socket, socketOptions) { let connection = new SMTPConnection(this, socket, socketOptions); this.connections.add(connection); connection.on('error', err => this._onError(err)); connection.on('connect', data => this._onClientConnect(data)); connection.init(); }",
    );
    // PromptSMTPServer._handleProxy copies its path for a socket with no PROXY header, less the random id.
    expect(code(SMTPServer.prototype._handleProxy)).toMatch(
      /^_handleProxy\(socket, callback\) \{ let socketOptions = \{ id: BigInt\('0x' \+ crypto\.randomBytes\(10\)\.toString\('hex'\)\) \.toString\(32\) \.padStart\(16, '0'\) \}; if \(!this\._expectsProxyHeader\(socket\)\) \{ socketOptions\.ignore = this\.options\.ignoredHosts && this\.options\.ignoredHosts\.includes\(socket\.remoteAddress\); setImmediate\(\(\) => callback\(null, socketOptions\)\); return; \} /,
    );
  });

  it('names connections from a counter, in the form of smtp-server ids', async () => {
    const ids: string[] = [];
    const server = new PromptSMTPServer({ logger: false, disableReverseLookup: true, hideSTARTTLS: true }, (c) => ids.push(c.id));
    server.on('error', () => undefined);
    server.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.server.once('listening', resolve));
    const { port } = server.server.address() as net.AddressInfo;
    try {
      expect(await firstLine(port)).toMatch(/^220 /);
      expect(await firstLine(port)).toMatch(/^220 /);
      expect(ids).toEqual(['0000000000000001', '0000000000000002']);
    } finally {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });

  it('starts every connection of the mock SMTP server through PromptConnection.init, which greets without a timer', async () => {
    const init = vi.spyOn(PromptConnection.prototype, 'init');
    const upstreamInit = vi.spyOn(SMTPConnection.prototype, 'init');
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const server = await startSmtpServer();
    try {
      expect(await firstLine(server.port)).toMatch(/^220 /);
      expect(init).toHaveBeenCalledTimes(1);
      expect(upstreamInit).not.toHaveBeenCalled();
      expect(timers.mock.calls.filter(([, ms]) => ms === 100)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('hands each connection to onInit and still answers past maxClients with 421', async () => {
    const started: PromptConnection[] = [];
    const server = new PromptSMTPServer({ logger: false, disableReverseLookup: true, hideSTARTTLS: true, maxClients: 1 }, (c) => started.push(c));
    server.on('error', () => undefined);
    server.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.server.once('listening', resolve));
    const { port } = server.server.address() as net.AddressInfo;
    const first = net.connect(port, '127.0.0.1');
    try {
      await new Promise((resolve) => first.once('data', resolve));
      expect(await firstLine(port)).toMatch(/^421 .*Too many connected clients/);
      expect(started).toHaveLength(2);
      expect(started.every((c) => c instanceof PromptConnection)).toBe(true);
    } finally {
      first.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });
});
