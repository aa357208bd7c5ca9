/**
 * The control API's routes as data: a path pattern, the protocol it belongs to, a handler per method.
 * Handlers return an Answer (JSON, raw octets, or nothing) or throw a ControlError.
 */
import type { IncomingMessage } from 'node:http';
import type { FtpMock, SmtpMock } from '../lib/types.js';
import { isWireprobeError } from '../util/errors.js';
import { readJson } from './body.js';
import { ControlError } from './errors.js';
import { faultRequest, requestJson } from './fault-request.js';
import { messageJson, sessionJson, uploadJson } from './records.js';

/** The server the API controls, with its protocol spelled out. */
export type Target = { readonly protocol: 'smtp'; readonly mock: SmtpMock } | { readonly protocol: 'ftp'; readonly mock: FtpMock };

/** What a handler sees of one request. */
export interface RequestContext {
  readonly target: Target;
  readonly req: IncomingMessage;
  /** The route pattern's captures (`n` of `/messages/{n}/raw`). */
  readonly params: readonly string[];
  readonly maxBodyOctets: number;
}

/** A handler's answer: JSON with a status, raw octets, or 204 No Content. */
export type Answer =
  | { readonly status: 200 | 201; readonly json: unknown }
  | { readonly status: 200; readonly raw: Buffer; readonly type: string }
  | { readonly status: 204 };

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  readonly path: RegExp;
  /** Only on a server of this protocol; on the other one the path answers 404 naming the right one. */
  readonly protocol?: 'smtp' | 'ftp';
  readonly methods: Readonly<Partial<Record<Method, (ctx: RequestContext) => Answer | Promise<Answer>>>>;
}

const smtp = (ctx: RequestContext): SmtpMock => (ctx.target as Extract<Target, { protocol: 'smtp' }>).mock;
const ftp = (ctx: RequestContext): FtpMock => (ctx.target as Extract<Target, { protocol: 'ftp' }>).mock;

/** Item `n` (1-based) of `list`, or 404. */
function nth<T>(list: readonly T[], text: string, what: 'message' | 'upload'): T {
  const item = list[Number(text) - 1];
  if (item === undefined || !/^[1-9]\d{0,8}$/.test(text)) {
    throw new ControlError(404, 'ENOTFOUND', `no ${what} ${text} (there ${list.length === 1 ? 'is 1' : `are ${list.length}`}; GET /${what}s lists them)`);
  }
  return item;
}

async function postFaults(ctx: RequestContext): Promise<Answer> {
  const request = faultRequest(await readJson(ctx.req, ctx.maxBodyOctets), ctx.target.protocol);
  try {
    if (request.kind === 'arm') ctx.target.mock.arm(request.fault, request.options);
    else ctx.target.mock.plan(request.faults, request.match ? { match: request.match } : {});
  } catch (error) {
    // The library refuses what it cannot arm with its own coded error: the caller's mistake, not ours.
    if (isWireprobeError(error)) throw new ControlError(400, error.code === 'EFAULTSYNTAX' ? 'EFAULTSYNTAX' : 'EBADREQUEST', error.message);
    throw error;
  }
  return { status: 201, json: requestJson(request) };
}

export const ROUTES: readonly Route[] = [
  { path: /^\/health$/, methods: { GET: (ctx) => ({ status: 200, json: { ok: true, protocol: ctx.target.protocol, url: ctx.target.mock.url } }) } },
  {
    path: /^\/faults$/,
    methods: {
      POST: postFaults,
      DELETE: (ctx) => (ctx.target.mock.disarm(), { status: 204 }),
    },
  },
  { path: /^\/sessions$/, methods: { GET: (ctx) => ({ status: 200, json: ctx.target.mock.sessions.map(sessionJson) }) } },
  {
    path: /^\/messages$/,
    protocol: 'smtp',
    methods: {
      GET: (ctx) => ({ status: 200, json: smtp(ctx).messages.map(messageJson) }),
      DELETE: (ctx) => (smtp(ctx).clearMessages(), { status: 204 }),
    },
  },
  {
    path: /^\/messages\/([^/]+)$/,
    protocol: 'smtp',
    methods: { GET: (ctx) => ({ status: 200, json: messageJson(nth(smtp(ctx).messages, ctx.params[0]!, 'message'), Number(ctx.params[0]) - 1) }) },
  },
  {
    path: /^\/messages\/([^/]+)\/raw$/,
    protocol: 'smtp',
    methods: { GET: async (ctx) => ({ status: 200, type: 'message/rfc822', raw: await nth(smtp(ctx).messages, ctx.params[0]!, 'message').raw() }) },
  },
  {
    path: /^\/uploads$/,
    protocol: 'ftp',
    methods: {
      GET: (ctx) => ({ status: 200, json: ftp(ctx).uploads.map(uploadJson) }),
      DELETE: (ctx) => (ftp(ctx).clearUploads(), { status: 204 }),
    },
  },
  {
    path: /^\/uploads\/([^/]+)$/,
    protocol: 'ftp',
    methods: { GET: (ctx) => ({ status: 200, json: uploadJson(nth(ftp(ctx).uploads, ctx.params[0]!, 'upload'), Number(ctx.params[0]) - 1) }) },
  },
  {
    path: /^\/uploads\/([^/]+)\/raw$/,
    protocol: 'ftp',
    methods: { GET: async (ctx) => ({ status: 200, type: 'application/octet-stream', raw: await nth(ftp(ctx).uploads, ctx.params[0]!, 'upload').raw() }) },
  },
];

/** The route for `method path` on a server of `protocol`; throws the 404 or 405 when there is none. */
export function route(method: string, path: string, protocol: 'smtp' | 'ftp'): { handler: NonNullable<Route['methods'][Method]>; params: string[] } {
  for (const r of ROUTES) {
    const m = r.path.exec(path);
    if (!m) continue;
    if (r.protocol !== undefined && r.protocol !== protocol) {
      const own = protocol === 'smtp' ? '/messages' : '/uploads';
      throw new ControlError(404, 'ENOTFOUND', `no ${path} on an ${protocol.toUpperCase()} server (what it received is at ${own})`);
    }
    const handler = r.methods[method as Method];
    const allowed = Object.keys(r.methods).join(', ');
    if (!handler) throw new ControlError(405, 'EMETHOD', `method ${method} is not allowed on ${path} (allowed: ${allowed})`, { allow: allowed });
    return { handler, params: m.slice(1) };
  }
  throw new ControlError(
    404,
    'ENOTFOUND',
    `no route ${JSON.stringify(`${method} ${path}`)} (see GET /health, /faults, /sessions, /${protocol === 'smtp' ? 'messages' : 'uploads'})`,
  );
}
