// The test temp-dir helper removes its folders when the process exits, and keeps them on request.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = `import { writeFileSync } from 'node:fs';
import { tempDir } from './test/helpers/temp-dir.ts';
const dir = await tempDir('tk-helper-check-');
writeFileSync(dir + '/file', 'x');
console.log(dir);`;

async function made(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env } });
  return stdout.trim();
}

test('a folder from tempDir is gone once its process exits', async (t) => {
  const dir = await made({ TK_KEEP_TEMP: '' });
  t.regex(dir, /tk-helper-check-/);
  t.false(existsSync(dir));
});

test('TK_KEEP_TEMP=1 keeps it for a look after a failure', async (t) => {
  const dir = await made({ TK_KEEP_TEMP: '1' });
  t.true(existsSync(`${dir}/file`));
  rmSync(dir, { recursive: true, force: true });
});
