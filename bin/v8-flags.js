/**
 * V8 settings of one command, set by bin/wireprobe.js before anything else loads: a flag set later
 * finds the young generation already grown and the libraries already compiled. A flag the user gave
 * node itself wins over ours (`node --turbofan bin/wireprobe.js serve ftp`; of these, NODE_OPTIONS may
 * carry only --max-semi-space-size, which claims the young generation's size).
 *
 * `serve ftp` is a long-lived server whose work is native: on an upload, SHA-256 and the spool file's
 * writes took 86% of its main thread, wireprobe's and ftp-srv's JavaScript the rest. Its peak resident
 * memory over five 1 GiB uploads with curl (Node 20, `npm run bench -- --only ftp`): 58 MiB with these
 * flags, 73 MiB with V8's defaults, for uploads at 0.60-0.76x of the rate (three runs). Measured by hand over
 * 256 MiB uploads: Node 22 69 MiB against 92, Node 24 71 against 93 (their V8s know the same flags).
 * - `--semi-space-growth-factor=1`: the young generation stays at its starting 2 x 1 MiB. By default it
 *   grows to 2 x 16 MiB while the program starts, and an upload's chunks then touch all of it (13 MiB).
 * - `--no-turbofan`, `--no-maglev`: no optimising compiler (Maglev is off by default in Node 20 and on
 *   from Node 22). Its machine code in the node binary is paged in once it first runs (3.6 MiB) and its
 *   working memory stays resident after each compile; code stays bytecode and baseline (Sparkplug).
 *   With TurboFan kept and only its inlining off, the peak was 64-65 MiB, at the full rate.
 */

/** Flags for `serve ftp`, in `node --v8-options` spelling. */
export const SERVE_FTP_V8_FLAGS = ['--semi-space-growth-factor=1', '--no-turbofan', '--no-maglev'];

/** Flags that claim another's setting: `--opt` is V8's alias of `--turbofan`; a semi-space size the user chose is theirs. */
const CLAIMS = { opt: 'turbofan', 'max-semi-space-size': 'semi-space-growth-factor', 'min-semi-space-size': 'semi-space-growth-factor' };

/**
 * What a flag sets: `--turbofan`, `--no-turbofan`, `--noturbofan` and `--no_turbofan` all set
 * `turbofan` (V8 reads `_` as `-` and takes `no` with or without a dash).
 */
function flagName(flag) {
  const name = flag
    .replaceAll('_', '-')
    .replace(/=.*/, '')
    .replace(/^--(no-?)?/, '');
  return CLAIMS[name] ?? name;
}

/**
 * The V8 flags the command in `args` (process.argv after the script) runs with: none for most;
 * SERVE_FTP_V8_FLAGS for `serve ftp` (as documented, `wireprobe serve ftp ...`: with options before
 * the command it runs with V8's defaults), less those that `given` sets (node's own options:
 * process.execArgv and NODE_OPTIONS, split on spaces).
 */
export function v8FlagsFor(args, given = []) {
  if (args[0] !== 'serve' || args[1] !== 'ftp') return [];
  const taken = new Set(given.filter((option) => option.startsWith('--')).map(flagName));
  return SERVE_FTP_V8_FLAGS.filter((flag) => !taken.has(flagName(flag)));
}
