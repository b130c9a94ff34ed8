import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one-way dependency order between src/ folders that docs/architecture.md describes: a folder
 * imports only folders before it (type-only imports included: a type dependency is still a
 * dependency). The root files errors.ts, version.ts and warnings.ts belong with util/; index.ts
 * (the public API) may import anything.
 */
const LAYERS = ['util', 'keras', 'data', 'backend', 'models', 'options', 'cache', 'queue', 'strategies', 'run', 'report', 'training', 'inference', 'export', 'interpret', 'cli'];
const ROOT_FILES_IN = 'util';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

/** The folder a src file belongs to: its first path segment, or util/index for root files. */
function folderOf(file: string): string {
  const rel = relative(src, file).split('/');
  if (rel.length > 1) return rel[0]!;
  return rel[0] === 'index.ts' ? 'index' : ROOT_FILES_IN;
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) out.push((m[1] ?? m[2])!);
  return out;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

/** Edges that go against the order (or touch a folder the order does not name). */
function violations(edges: readonly Edge[], layers: readonly string[]): string[] {
  const rank = (f: string) => (f === 'index' ? layers.length : layers.indexOf(f));
  return edges
    .filter((e) => e.from !== e.to && (rank(e.from) < 0 || rank(e.to) < 0 || rank(e.to) > rank(e.from)))
    .map((e) => `${e.file} (${e.from}/) imports ${e.spec} (${e.to}/)`);
}

async function edges(): Promise<Edge[]> {
  const out: Edge[] = [];
  for (const file of await sourceFiles(src)) {
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      out.push({ from: folderOf(file), to: folderOf(target), file: relative(src, file), spec });
    }
  }
  return out;
}

test('every src/ folder is placed in the dependency order', async (t) => {
  const folders = new Set((await sourceFiles(src)).map(folderOf));
  folders.delete('index');
  t.deepEqual([...folders].filter((f) => !LAYERS.includes(f)), [], 'a new folder must be placed in LAYERS and docs/architecture.md');
});

test('src/ folders import only folders before them (no cycles between folders)', async (t) => {
  const all = await edges();
  t.true(all.length > 100, `found only ${all.length} imports: the scanner is broken`);
  t.deepEqual(violations(all, LAYERS), []);
});

test('the checker catches an upward import and an unplaced folder', (t) => {
  const e = (from: string, to: string): Edge => ({ from, to, file: `${from}/x.ts`, spec: `../${to}/y.ts` });
  t.deepEqual(violations([e('training', 'data'), e('cli', 'training'), e('index', 'cli')], LAYERS), []);
  t.is(violations([e('data', 'training')], LAYERS).length, 1);
  t.is(violations([e('nowhere', 'util')], LAYERS).length, 1);
  t.deepEqual(specifiers("import type { A } from '../a/b.ts';\nexport { c } from './c.ts';\nconst m = await import('../d/e.ts');"), ['../a/b.ts', './c.ts', '../d/e.ts']);
});
