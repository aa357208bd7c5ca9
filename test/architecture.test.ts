/**
 * The import graph of src/, servers/, suites/ and bench/ has no cycle: each folder's modules depend one
 * way (a type moved to the wrong folder is what makes one). And the layers hold: clients know nothing
 * of the engine, the engine starts no server and writes no report, reports read results (never the
 * runner), redaction is no proxy matter, and suites are data that read no environment. Relative
 * imports are read as text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FOLDERS = ['src', 'servers', 'suites', 'bench'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each module's relative imports (`import`/`export ... from './x.js'`), as absolute .ts paths. */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of FOLDERS.flatMap((f) => sources(join(ROOT, f)))) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) =>
      resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')),
    );
    edges.set(file, targets);
  }
  return edges;
}

/** The first cycle found, as a list of paths relative to the repository, or undefined. */
function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle.map((p) => relative(ROOT, p));
  }
  return undefined;
}

/** A layering rule: no module under `from` imports a module matching `forbidden`. */
interface Rule {
  readonly from: string;
  readonly forbidden: RegExp;
  readonly why: string;
}

const RULES: readonly Rule[] = [
  {
    from: 'src/clients/',
    forbidden: /^(src\/(engine|report|commands|proxy|probe)|servers|suites)\//,
    why: 'a client adapter runs a job; the job vocabulary lives in src/clients/types.ts',
  },
  { from: 'src/engine/', forbidden: /^(src\/(report|commands|probe)|servers|suites)\//, why: 'the engine is handed its targets and hands back results' },
  { from: 'src/report/', forbidden: /^src\/(engine\/(?!types|identity|outcome-format)|proxy|commands)/, why: 'a report reads results, not the runner' },
  { from: 'src/probe/', forbidden: /^src\/(proxy|engine|report)\//, why: 'the probe talks to servers itself' },
  { from: 'suites/', forbidden: /^(src\/(?!engine\/types|clients\/types|faults\/types)|servers\/)/, why: 'suites are data: types only' },
];

/** Every import that breaks a rule, as `file -> target (why)`, paths relative to the repository. */
function violations(edges: Map<string, string[]>, rules: readonly Rule[]): string[] {
  return [...edges].flatMap(([file, targets]) => {
    const from = relative(ROOT, file);
    return rules
      .filter((rule) => from.startsWith(rule.from))
      .flatMap((rule) =>
        targets
          .map((t) => relative(ROOT, t))
          .filter((t) => rule.forbidden.test(t))
          .map((t) => `${from} -> ${t} (${rule.why})`),
      );
  });
}

describe('the layers', () => {
  it('hold: each folder imports only what its rule allows', () => {
    expect(violations(graph(), RULES)).toEqual([]);
  });

  it('would report a break (the check can fail)', () => {
    const engine = join(ROOT, 'src/engine/run.ts');
    const report = join(ROOT, 'src/report/console.ts');
    expect(violations(new Map([[engine, [report]]]), RULES)).toEqual([`src/engine/run.ts -> src/report/console.ts (${RULES[1]!.why})`]);
  });

  it("keep suites free of the environment: a suite's size is an input, never read at import", () => {
    const reads = sources(join(ROOT, 'suites')).filter((file) => /process\.env/.test(readFileSync(file, 'utf8')));
    expect(reads.map((f) => relative(ROOT, f))).toEqual([]);
  });
});

describe('the import graph', () => {
  it('has no cycle', () => {
    expect(findCycle(graph())).toBeUndefined();
  });

  it('would report one (the check can fail)', () => {
    const a = join(ROOT, 'a.ts');
    const b = join(ROOT, 'b.ts');
    expect(
      findCycle(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'a.ts']);
  });
});
