/**
 * The body of `POST /faults`, checked whole before anything is armed:
 *
 *   { "fault": "reset after DATA +64KiB", "connection": 2, "match": { "rcpt": "a@b.test" } }  ──► arm
 *   { "plan": ["reply 451 before RCPT", "pass"], "match": { "rcpt": { "regex": "@t42$" } } }  ──► plan
 *
 * A fault is the CLI's short syntax or its object form (src/faults/types.ts); an object is checked by
 * reading it back through the short syntax, so both forms accept exactly the same faults.
 */
import { isDeepStrictEqual } from 'node:util';
import { formatFault } from '../faults/format.js';
import { FaultSyntaxError, parseFault } from '../faults/parse.js';
import { neverFires } from '../faults/fit.js';
import { KINDS } from '../faults/registry.js';
import type { Fault } from '../faults/types.js';
import type { ArmOptions, MessageMatch } from '../lib/types.js';
import { quote } from '../util/terminal.js';
import { ControlError } from './errors.js';
import { matchFrom, matchJson } from './match.js';

/** What one `POST /faults` asks for. */
export type FaultRequest =
  | { readonly kind: 'arm'; readonly fault: Fault; readonly options: ArmOptions }
  | { readonly kind: 'plan'; readonly faults: readonly (Fault | 'pass')[]; readonly match?: MessageMatch };

const FIELDS = ['fault', 'plan', 'connection', 'match'];

const bad = (message: string): ControlError => new ControlError(400, 'EBADREQUEST', message);
const badFault = (message: string): ControlError => new ControlError(400, 'EFAULTSYNTAX', message);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object form, read back through the short syntax: the first field that does not survive is named. */
function faultObject(value: Record<string, unknown>): Fault {
  if (typeof value.kind !== 'string' || !(KINDS as readonly string[]).includes(value.kind)) {
    const given = typeof value.kind === 'string' ? ` ${quote(value.kind)}` : '';
    throw badFault(`bad fault object: kind${given} is not one of ${KINDS.join(', ')}`);
  }
  const what = `bad fault object (kind ${quote(value.kind)})`;
  let text: string;
  try {
    text = formatFault(value as unknown as Fault);
  } catch {
    throw badFault(`${what}: "at" or another field is not of its form (the short syntax, sent as a string, names what is wrong)`);
  }
  let fault: Fault;
  try {
    fault = parseFault(text);
  } catch (error) {
    if (!(error instanceof FaultSyntaxError)) throw error;
    throw badFault(`${what}: ${error.problem}${error.token === null ? '' : ` at ${quote(error.token, 40)}`} (read as the short syntax ${quote(text)})`);
  }
  const back = fault as unknown as Record<string, unknown>;
  const field = [...new Set([...Object.keys(value), ...Object.keys(back)])].find((k) => !isDeepStrictEqual(value[k], back[k]));
  if (field !== undefined) {
    const why = !(field in back) ? 'unknown, or not one this kind takes' : field in value ? `reads back as ${JSON.stringify(back[field])}` : 'missing';
    throw badFault(`${what}: field ${quote(field)} ${why} (read as the short syntax ${quote(text)})`);
  }
  return fault;
}

/** One fault from a request: text or object; one that could never fire on the server's protocol is refused. */
export function faultFrom(value: unknown, protocol: 'smtp' | 'ftp'): Fault {
  let fault: Fault;
  if (typeof value === 'string') fault = parseFault(value);
  else if (isRecord(value)) fault = faultObject(value);
  else throw badFault('bad fault: expected the short syntax ("reset after DATA +64KiB") or a fault object');
  const never = neverFires(fault, protocol);
  if (never) throw badFault(`bad fault ${quote(formatFault(fault))}: ${never} and can never fire on an ${protocol.toUpperCase()} server`);
  return fault;
}

/** A 1-based connection number. */
function connectionFrom(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw bad(`bad connection ${quote(JSON.stringify(value) ?? '')}: expected a whole number from 1`);
  return value;
}

/** Checks a whole `POST /faults` body; throws the 400 naming the first bad part. */
export function faultRequest(body: unknown, protocol: 'smtp' | 'ftp'): FaultRequest {
  if (!isRecord(body)) throw bad('expected a JSON object with "fault" or "plan"');
  const unknown = Object.keys(body).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw bad(`unknown field ${quote(unknown)} (fields: ${FIELDS.join(', ')})`);
  const match = body.match === undefined ? undefined : matchFrom(body.match, protocol);
  // FaultSyntaxError is the parser's: its message names the input and the offending token.
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (error) {
      if (error instanceof FaultSyntaxError) throw badFault(error.message);
      throw error;
    }
  };
  if ('fault' in body === 'plan' in body) throw bad('expected exactly one of "fault" (arm one) and "plan" (one per connection or message)');
  if ('plan' in body) {
    if (body.connection !== undefined) throw bad('"connection" does not apply to a plan: its entries go to the 1st, 2nd... connection (or matching message)');
    if (!Array.isArray(body.plan) || body.plan.length === 0) throw bad('bad plan: expected a non-empty array of faults and "pass"');
    const faults = body.plan.map((entry: unknown, i: number) => {
      if (entry === 'pass') return 'pass' as const;
      try {
        return wrap(() => faultFrom(entry, protocol));
      } catch (error) {
        // A plan may hold several faults, or the same text twice: the entry is named by its place.
        if (error instanceof ControlError) throw new ControlError(error.status, error.code, `plan entry ${i + 1}: ${error.message}`);
        throw error;
      }
    });
    return { kind: 'plan', faults, ...(match ? { match } : {}) };
  }
  const fault = wrap(() => faultFrom(body.fault, protocol));
  const connection = body.connection === undefined ? undefined : connectionFrom(body.connection);
  return { kind: 'arm', fault, options: { ...(connection !== undefined ? { connection } : {}), ...(match ? { match } : {}) } };
}

/** What was armed or planned, as the 201's body: faults in their canonical short syntax. */
export function requestJson(request: FaultRequest): Record<string, unknown> {
  const match = request.kind === 'arm' ? request.options.match : request.match;
  const where = match ? { match: matchJson(match) } : {};
  if (request.kind === 'plan') return { plan: request.faults.map((f) => (f === 'pass' ? f : formatFault(f))), ...where };
  const connection = request.options.connection;
  return { fault: formatFault(request.fault), ...(connection !== undefined ? { connection } : {}), ...where };
}
