/**
 * The diff as one self-contained HTML page (the run report's style and Content-Security-Policy, no
 * script): the two runs and how their environments differ, then a table of changed cells and one of
 * the cells only one run has, each state coloured by verdict.
 */
import { writeReportFile } from './file.js';
import type { CellState, RunDiff } from './diff-results.js';
import { CSP, esc } from './html-safe.js';
import { STYLE } from './html-style.js';
import type { LoadedReport } from './merge-read.js';

/** The runs compared and when the page was made. */
export interface DiffMeta {
  readonly before: LoadedReport;
  readonly after: LoadedReport;
  readonly generatedAt: Date;
}

/** The diff page. */
export function renderDiffHtml(d: RunDiff, meta: DiffMeta): string {
  const state = (c: CellState): string => `<td class="cell v-${c.verdict === 'n/a' ? 'na' : c.verdict}">${esc(c.outcome)} ${esc(c.verdict)}</td>`;
  const run = (r: LoadedReport): string => `${esc(r.file)} (wireprobe ${esc(r.version)})`;
  const lone = (title: string, cells: RunDiff['onlyBefore'], id: string): string[] =>
    cells.length === 0
      ? []
      : [
          `<h2>${esc(title)} <span class="count">${cells.length}</span></h2>`,
          `<table id="${id}"><thead><tr><th scope="col">cell</th><th scope="col">outcome and verdict</th></tr></thead><tbody>`,
          ...cells.map((c) => `<tr><th scope="row"><code>${esc(c.id)}</code></th>${state(c)}</tr>`),
          '</tbody></table>',
        ];
  const differing = d.changed.length + d.onlyBefore.length + d.onlyAfter.length;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<link rel="icon" href="data:,">',
    '<title>wireprobe diff</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    '<h1>wireprobe diff</h1>',
    `<p class="meta">before: ${run(meta.before)} · after: ${run(meta.after)} · generated <time datetime="${esc(meta.generatedAt.toISOString())}">${esc(meta.generatedAt.toISOString())}</time></p>`,
    `<p id="summary" class="summary">${differing === 0 ? `No cell differs (${d.cells} cells).` : `${differing} of ${d.cells} cells differ.`}</p>`,
    ...(d.environment.length > 0 ? [`<ul id="environment">${d.environment.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>`] : []),
    '</header>',
    '<main>',
    ...(d.changed.length === 0
      ? []
      : [
          `<h2>Changed <span class="count">${d.changed.length}</span></h2>`,
          '<table id="changed"><thead><tr><th scope="col">cell</th><th scope="col">before</th><th scope="col">after</th></tr></thead><tbody>',
          ...d.changed.map((c) => `<tr><th scope="row"><code>${esc(c.id)}</code></th>${state(c.before)}${state(c.after)}</tr>`),
          '</tbody></table>',
        ]),
    ...lone(`Only in ${meta.before.file}`, d.onlyBefore, 'only-before'),
    ...lone(`Only in ${meta.after.file}`, d.onlyAfter, 'only-after'),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes the diff page to `file`, creating parent folders. */
export function writeDiffHtml(file: string, d: RunDiff, meta: DiffMeta): Promise<void> {
  return writeReportFile(file, renderDiffHtml(d, meta));
}
