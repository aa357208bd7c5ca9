/**
 * A client module runs inside wireprobe's process, so what it leaves behind reaches wireprobe: an
 * 'error' event nobody listens to (a socket's), an exception thrown from its timer, a rejected promise
 * nobody awaits. Node would end the process with a stack trace and leave the other clients' processes
 * and temporary folders behind. Each module's code runs in an async context of its own
 * (AsyncLocalStorage), which its callbacks and promises inherit, so the process-wide handlers the CLI
 * installs through `guardModules` can tell whose the error was:
 *
 *   loading(label, load)           the module's top level ─┐
 *   calling(label, secrets, call)  one send() or transfer() ┴─► a context: label, secrets, fail()
 *   'uncaughtException', 'unhandledRejection'
 *     ─► in a context whose load or call is still running: it ends with a ClientCrash (a call's run is
 *        then an `error` result naming the module; a load is the module's usage error)
 *     ─► otherwise (it had settled, or no context: named after the modules loaded) ─► the CLI's
 *        onCrash: the command stops as on Ctrl-C, exit 3 (src/util/interrupt.ts)
 *
 * The handlers are installed when the first module starts loading, and only under guardModules (the
 * CLI): in process (the library, tests) nothing is installed and Node's defaults apply.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { WireprobeError } from '../util/errors.js';
import { thrownLine } from './module-text.js';

/** A client module's error that nothing in it caught: `message` names the module and the error. */
export class ClientCrash extends WireprobeError<'ECLIENTCRASH'> {
  constructor(message: string) {
    super(message, 'ECLIENTCRASH');
    this.name = 'ClientCrash';
  }
}

/** What a module's code runs in: whose it is, the secrets its text is masked of, and how to end its load or call. */
interface Context {
  /** `client module "./x.mjs"`. */
  readonly client: string;
  readonly secrets: readonly string[];
  /** Ends the load or call this context was made for with `crash`; false once it has settled. */
  readonly fail: (crash: ClientCrash) => boolean;
}

const contexts = new AsyncLocalStorage<Context>();
/** Every module that started loading, by label: who to name for an error no context names. */
const loaded = new Set<string>();
/** Every secret a call was given: masked from an error no context names. */
const secretsSeen = new Set<string>();
let onCrash: ((crash: ClientCrash) => void) | undefined;
let listening = false;

/**
 * Lets a client module's uncaught exception or unhandled rejection stop the command through `stop`
 * (the CLI: as an interrupt does) rather than end the process, once a module starts loading. Returns
 * the undo: the handlers are taken off, Node's defaults apply again.
 */
export function guardModules(stop: (crash: ClientCrash) => void): () => void {
  onCrash = stop;
  return () => {
    onCrash = undefined;
    if (!listening) return;
    listening = false;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  };
}

function listen(): void {
  if (listening || !onCrash) return;
  listening = true;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
}

function onUncaught(error: unknown): void {
  crashed(error, 'threw an exception nothing caught');
}

function onUnhandled(reason: unknown): void {
  crashed(reason, 'left a promise rejection unhandled');
}

/** Runs in the context of the code that threw (Node emits both events there): its load or call ends, else the command stops. */
function crashed(thrown: unknown, what: string): void {
  const context = contexts.getStore();
  const client = context?.client ?? suspects();
  const crash = new ClientCrash(`${client} ${what}: ${thrownLine(thrown, context?.secrets ?? [...secretsSeen])}`);
  if (context?.fail(crash)) return;
  onCrash?.(crash);
}

/** Whom an error no context names is put down to: the module loaded, or each of them. */
function suspects(): string {
  const names = [...loaded];
  if (names.length === 1) return names[0]!;
  return `one of the client modules (${names.join(', ')})`;
}

/** A load or call in a context of its own, and how it ended: its value, its error, or a ClientCrash. */
function inContext<T>(client: string, secrets: readonly string[], task: () => Promise<T>) {
  let crash: ClientCrash | undefined;
  let settled = false;
  let wake: () => void = () => undefined;
  const crashed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const fail = (c: ClientCrash): boolean => {
    if (settled) return false;
    crash ??= c;
    wake();
    return true;
  };
  const ended = contexts.run({ client, secrets, fail }, task).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return {
    /** Resolves when the task settled or crashed. */
    done: Promise.race([ended, crashed]),
    crash: (): ClientCrash | undefined => crash,
    settle: (): void => {
      settled = true;
    },
  };
}

/**
 * Runs `call` (one send or transfer of `client`) in the module's context with a signal of its own,
 * aborted with `signal` and when the call crashes. Resolves and rejects as the call does, or rejects
 * with a ClientCrash when, before it settled (or in the tick it settled in), an error of its code went
 * uncaught or a rejection of its code unhandled.
 */
export async function calling(client: string, secrets: readonly string[], signal: AbortSignal, call: (signal: AbortSignal) => unknown): Promise<unknown> {
  for (const secret of secrets) if (secret !== '') secretsSeen.add(secret);
  const own = new AbortController();
  const forward = (): void => own.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  if (signal.aborted) forward();
  const run = inContext(client, secrets, async () => call(own.signal));
  try {
    const ended = await run.done;
    // A rejection the call left unhandled in the tick it settled in is reported at the end of that tick.
    if (!run.crash()) await new Promise((resolve) => setImmediate(resolve));
    const crash = run.crash();
    if (crash) {
      own.abort(crash);
      throw crash;
    }
    if (ended && 'error' in ended) throw ended.error;
    return ended?.value;
  } finally {
    run.settle();
    signal.removeEventListener('abort', forward);
  }
}

/**
 * Runs `load` (the import of `client`'s module) in the module's context. Rejects with a ClientCrash
 * when its code crashed before the load settled, with `signal`'s reason when it aborts (Ctrl-C during
 * a top-level await that never settles), and with `never` when the event loop empties before the load
 * settled (a top-level await on a promise nothing will settle: Node would exit 13 in silence).
 */
export async function loading<T>(client: string, load: () => Promise<T>, signal: AbortSignal | undefined, never: Error): Promise<T> {
  loaded.add(client);
  listen();
  let onAbort: (() => void) | undefined;
  let onEmpty: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason);
    onEmpty = () => reject(never);
  });
  signal?.addEventListener('abort', onAbort!, { once: true });
  process.once('beforeExit', onEmpty!);
  const run = inContext(client, [], load);
  try {
    if (signal?.aborted) throw signal.reason;
    const ended = await Promise.race([run.done, stopped]);
    const crash = run.crash();
    if (crash) throw crash;
    if (ended && 'error' in ended) throw ended.error;
    return ended!.value;
  } finally {
    run.settle();
    signal?.removeEventListener('abort', onAbort!);
    process.off('beforeExit', onEmpty!);
  }
}
