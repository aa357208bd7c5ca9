/**
 * Whether dist/ holds a build of the sources as they are now: shared by bin/wireprobe.js (run dist/ or
 * src/ through tsx?) and scripts/build.js (`prepare` and `prepack` skip a build that is current, so
 * `npm pack`, which runs both, builds once).
 *
 * Current means no file or folder among the build's inputs is newer than dist/.built, which the build
 * stamps with the time it started. A folder counts too: its mtime changes when a file in it is added,
 * removed or renamed. An installed package has dist/ and none of the inputs: its dist/ is current.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the build reads, relative to the package root; tsconfig.build.json's `include` names the folders. */
export const BUILD_INPUTS = ['src', 'servers', 'suites', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.js'];

/** The build's stamp, relative to the package root. */
export const STAMP = join('dist', '.built');

/** The newest mtime among `root`'s build inputs; 0 when there are none. */
function newestInput(root) {
  let newest = 0;
  for (const input of BUILD_INPUTS) {
    const path = join(root, input);
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    newest = Math.max(newest, stat.mtimeMs);
    if (!stat.isDirectory()) continue;
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** true when `root`/dist/src/cli.js exists and no build input is newer than the stamp. */
export function distIsCurrent(root) {
  if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) return false;
  const stamp = join(root, STAMP);
  return newestInput(root) <= (existsSync(stamp) ? statSync(stamp).mtimeMs : 0);
}
