/**
 * V8 settings of one command, set by bin/wireprobe.js before anything else loads: a flag set later
 * finds the young generation already grown and the libraries already compiled. A flag the user gave
 * node itself (`node --turbofan bin/wireprobe.js serve ftp`, or in NODE_OPTIONS) wins over ours.
 *
 * `serve ftp` is a long-lived server whose work is native: on an upload, SHA-256 and the spool file's
 * writes took 86% of its main thread, wireprobe's and ftp-srv's JavaScript the rest. Its peak resident
 * memory over 1 GiB uploads with curl (Node 20, measured here): 80-84 MiB as V8 runs by default, 58
 * with these flags; uploads at 0.86x (0.78-0.94) of the rate (`npm run bench -- --only ftp` prints both).
 * - `--semi-space-growth-factor=1`: the young generation stays at its starting 2 x 1 MiB. By default it
 *   grows to 2 x 16 MiB while the program starts, and an upload's chunks then touch all of it (13 MiB).
 * - `--no-turbofan`, `--no-maglev`: no optimising compiler (Maglev is off by default in Node 20 and on
 *   from Node 22). Its machine code in the node binary is paged in once it first runs (3.6 MiB) and its
 *   working memory stays resident after each compile; code stays bytecode and baseline (Sparkplug).
 *   With TurboFan kept and only its inlining off, the peak was 64-65 MiB, at the full rate.
 */

/** Flags for `serve ftp`, in `node --v8-options` spelling. */
export const SERVE_FTP_V8_FLAGS = ['--semi-space-growth-factor=1', '--no-turbofan', '--no-maglev'];

/** A flag's name: `--no-turbofan`, `--turbofan` and `--turbofan=true` are all `turbofan`; `_` is `-` to V8. */
function flagName(flag) {
  return flag
    .replace(/^--(no-)?/, '')
    .replace(/=.*/, '')
    .replaceAll('_', '-');
}

/**
 * The V8 flags the command in `args` (process.argv after the script) runs with: none for most;
 * SERVE_FTP_V8_FLAGS for `serve ftp`, less those named in `given` (node's own options: process.execArgv
 * and NODE_OPTIONS, split on spaces).
 */
export function v8FlagsFor(args, given = []) {
  if (args[0] !== 'serve' || args[1] !== 'ftp') return [];
  const taken = new Set(given.filter((option) => option.startsWith('--')).map(flagName));
  return SERVE_FTP_V8_FLAGS.filter((flag) => !taken.has(flagName(flag)));
}
