/** An app that started the wasm backend still fails the way Node makes it fail, with its own error. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './helpers/temp-dir.ts';

const backend = new URL('../src/backend/index.ts', import.meta.url).href;

async function appFailing(how: string): Promise<{ status: number | null; stderr: string }> {
  const script = join(await tempDir('tk-crash-'), 'app.mts');
  await writeFile(script, `import { initBackend } from ${JSON.stringify(backend)};\nawait initBackend('wasm');\n${how}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

for (const [what, how] of [
  ['an uncaught exception', "throw new Error('boom from the app');"],
  ['an unhandled rejection', "void Promise.reject(new Error('boom from the app'));"],
] as const) {
  test(`${what} after initBackend('wasm') exits 1 with the app's error, not 7 with the wasm glue's source`, async (t) => {
    const { status, stderr } = await appFailing(how);
    t.is(status, 1, stderr.slice(0, 2000));
    t.true(stderr.includes('Error: boom from the app'));
    t.false(stderr.includes('var Module='), "no line of tfjs-backend-wasm's Emscripten glue");
  });
}
