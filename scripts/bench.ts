/**
 * `npm run bench [-- name...]`: runs each benchmark in scripts/bench/<name>.ts (all by default).
 * Each module's default export returns a JSON-able record, written to bench/results/<name>.json
 * (<name>.avx2-only.json on a CPU without VNNI) with the machine it ran on, so figures in the
 * README can be traced to a file.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomic.ts';
import { machineFacts, resultsFile } from './machine.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const available = (await readdir(join(here, 'bench'))).filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(1);
}

for (const name of wanted.length > 0 ? wanted : available.sort()) {
  console.log(`== bench ${name}`);
  const mod = (await import(join(here, 'bench', `${name}.ts`))) as { default: () => Promise<unknown> };
  const result = await mod.default();
  const record = {
    name,
    date: new Date().toISOString(),
    machine: machineFacts(),
    result,
  };
  const out = await resultsFile(root, name);
  await writeFileAtomic(out, JSON.stringify(record, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${out}`);
}
