/** The HTML report's stylesheet, inlined in its <style> (the page's CSP allows inline style only). */
export const STYLE = `
[hidden] { display: none !important; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1c1c; background: #fafafa; }
header, nav.filters, main { padding-left: 1.25rem; padding-right: 1.25rem; }
body.details-open > header, body.details-open > nav.filters, body.details-open > main { margin-right: min(46rem, 50vw); }
h1 { font-size: 1.35rem; margin: 1rem 0 .2rem; }
.meta { color: #555; margin: .1rem 0; }
.summary { margin: .4rem 0 .6rem; }
.chip { display: inline-block; padding: 0 .55rem; border: 1px solid currentColor; border-radius: 999px; font-weight: 600; }
nav.filters { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: .4rem 1.25rem; padding-top: .5rem; padding-bottom: .5rem; background: #fafafa; border-bottom: 1px solid #ddd; }
select { font: inherit; max-width: 30rem; }
section.matrix h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
.count, .server-note { font-weight: normal; color: #666; font-size: .85rem; }
.scroll { overflow-x: auto; padding-bottom: .5rem; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #d0d0d0; padding: .3rem .55rem; vertical-align: top; }
thead th { background: #eef0f3; text-align: center; white-space: nowrap; }
th.server-group { background: #dde3ea; letter-spacing: .02em; }
th.scenario { text-align: left; font-weight: normal; min-width: 16rem; max-width: 30rem; }
th.scenario code { display: block; font-weight: 600; }
th.scenario .title { display: block; color: #555; font-size: .85rem; }
th.scenario .fault { display: block; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8rem; color: #7a3e00; }
td.cell { cursor: pointer; text-align: center; white-space: nowrap; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; vertical-align: middle; }
td.cell:hover, td.cell:focus-visible { outline: 2px solid #1d4ed8; outline-offset: -2px; }
td.cell.selected { outline: 3px solid #111; outline-offset: -3px; }
td.empty { color: #bbb; text-align: center; vertical-align: middle; }
.v-conformant { background: #d3f0da; color: #14532d; }
.v-deviates { background: #f9d0d0; color: #8b1111; }
.v-unfired { background: #fde8b0; color: #7a4b00; }
.v-error { background: #e6d5f7; color: #51207a; }
.v-na { background: #e6e6e6; color: #555; }
.none { color: #666; font-style: italic; }
.incomplete { margin: .4rem 1.25rem; padding: .4rem .7rem; border: 1px solid #b45309; background: #fff7ed; color: #7c2d12; font-weight: 600; }
#details { position: fixed; top: 0; right: 0; bottom: 0; z-index: 3; width: min(46rem, 50vw); overflow: auto; padding: 1rem 1.25rem; background: #fff; border-left: 2px solid #999; box-shadow: -4px 0 14px rgba(0, 0, 0, .15); }
#details h2 { font-size: 1rem; margin: 0 2rem .6rem 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
#details h3 { font-size: .95rem; margin: 1rem 0 .3rem; }
#details-close { position: absolute; top: .5rem; right: .6rem; font-size: 1.3rem; line-height: 1; padding: .1rem .45rem; cursor: pointer; }
#details dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem .8rem; margin: 0; }
#details dt { font-weight: 600; color: #444; }
#details dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
#details dd.badge { justify-self: start; padding: 0 .5rem; border-radius: 4px; font-weight: 600; }
#details pre { margin: 0; padding: .5rem 0; background: #f6f6f6; border: 1px solid #ddd; font: .8rem/1.45 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
#details pre .line { display: block; padding: 0 .6rem 0 .5rem; border-left: 4px solid transparent; }
#details pre .line.fault { background: #fff1c2; border-left-color: #c27c00; font-weight: 700; }
#details pre .line.fin { background: #dde9ff; border-left-color: #1d4ed8; font-weight: 700; }
#details pre .line.rst { background: #fbd5d5; border-left-color: #c81e1e; font-weight: 700; }
`;
