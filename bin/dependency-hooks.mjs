// Module hook: load plain-JS ES modules from node_modules as they are, before tsx sees them.
// tsx rewrites every dependency with a dynamic import() and attaches a character-level source map;
// for h5wasm's 4 MB emscripten file that cost 250-600 MB of RSS in every process (measured on
// Node 20.20 / tsx 4.23). Dependencies need no TypeScript transform, so skipping tsx is exact.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (context.format === 'module' && url.startsWith('file:') && url.includes('/node_modules/') && url.endsWith('.js'))
    return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  return nextLoad(url, context);
}
