import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * lambdas/core's layout rules (lambdas/core/README.md): every file in a room
 * with a README, no import cycles (type imports included), and the rooms'
 * dependencies pointing one way.
 */

const CORE = 'lambdas/core';
const ROOMS = ['base', 'contract', 'read', 'typing', 'quality', 'gold', 'parquet', 'engine', 'lake'];
/** Rooms each room may import besides itself; every room may use Node built-ins. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  base: [],
  parquet: ['base'],
  lake: ['base'],
  contract: ['base', 'read', 'typing', 'quality', 'parquet', 'lake'],
  read: ['base', 'contract', 'typing', 'quality', 'parquet', 'lake'],
  typing: ['base', 'contract', 'read', 'quality', 'parquet', 'lake'],
  quality: ['base', 'contract', 'read', 'typing', 'parquet', 'lake'],
  gold: ['base', 'contract', 'read', 'typing', 'quality', 'parquet', 'lake'],
  engine: ['base', 'contract', 'read', 'typing', 'quality', 'gold', 'parquet', 'lake'],
};
/** Packages the core may import (pure data logic: no AWS SDK, no Powertools). */
const PACKAGES = ['zod'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports (type-only too), dynamic imports, requires. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  return out;
}

/** The cycles of a directed graph (one per strongly connected component of more than one node or a self-loop). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function coreGraph(): { graph: Map<string, string[]>; external: Map<string, string[]> } {
  const graph = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  for (const f of files(CORE)) {
    const local: string[] = [];
    const outside: string[] = [];
    for (const s of specifiers(readFileSync(f, 'utf8'))) {
      if (!s.startsWith('.')) {
        outside.push(s);
        continue;
      }
      const target = normalize(join(dirname(f), s));
      const resolved = [target, `${target}.ts`, join(target, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
      if (!resolved) throw new Error(`${f} imports ${s}, which does not resolve`);
      (resolved.startsWith(`${CORE}/`) ? local : outside).push(resolved);
    }
    graph.set(f, local);
    external.set(f, outside);
  }
  return { graph, external };
}

const roomOf = (f: string) => relative(CORE, f).split('/')[0];

describe('lambdas/core in rooms', () => {
  it('the cycle finder finds cycles, type imports included, and passes a DAG', () => {
    const parsed = specifiers(
      `import type { A } from './a';\nimport { b } from "./b";\nexport { c } from './c';\nconst d = await import('./d');\nimport './e';`,
    );
    expect(parsed).toEqual(['./a', './b', './c', './d', './e']);
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', []],
          ['c', ['a', 'b']],
        ]),
      ),
    ).toEqual([]);
  });

  it('every file sits in a room, and every room has a README saying what it owns', () => {
    const loose = files(CORE).filter((f) => !ROOMS.includes(roomOf(f)) || dirname(f) === CORE);
    expect(loose).toEqual([]);
    for (const room of ROOMS) {
      const readme = join(CORE, room, 'README.md');
      expect(existsSync(readme), readme).toBe(true);
      expect(
        readFileSync(readme, 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('#')).length,
        readme,
      ).toBeGreaterThan(1);
    }
    expect(readFileSync(join(CORE, 'README.md'), 'utf8')).toContain('| `parquet/` |');
  });

  it('has no import cycles', () => {
    const { graph } = coreGraph();
    // The graph is read right: a known import (a type-only one) is among its edges.
    expect(graph.get(join(CORE, 'engine/stage-io.ts'))).toContain(join(CORE, 'lake/manifest.ts'));
    expect(cycles(graph)).toEqual([]);
  });

  it('rooms depend one way: base on nothing, parquet and lake on base only, nothing on engine', () => {
    const wrong: string[] = [];
    for (const [f, deps] of coreGraph().graph) {
      for (const d of deps) {
        const from = roomOf(f);
        const to = roomOf(d);
        if (from !== to && !MAY_IMPORT[from].includes(to)) wrong.push(`${f} -> ${d}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('imports nothing outside the core but Node built-ins and zod; parquet nothing but Node built-ins and the package version', () => {
    const wrong: string[] = [];
    for (const [f, outside] of coreGraph().external) {
      for (const s of outside) {
        if (s.startsWith('node:')) continue;
        if (roomOf(f) === 'parquet' ? s === 'package.json' : PACKAGES.includes(s)) continue;
        wrong.push(`${f} -> ${s}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
