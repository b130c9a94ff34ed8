/** The CLI's shell: version, help, and the exit status of a wrong invocation. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/transferkit.js', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const tk = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('--version prints the package version and exits 0', (t) => {
  const r = tk('--version');
  t.is(r.status, 0);
  t.is(r.stdout.trim(), version);
});

test('usage errors exit 2 with the reason and a pointer to --help; failures exit 1', (t) => {
  for (const args of [['train'], ['train', 'data', '--no-such-flag'], ['no-such-command'], ['init-weights', '--out', 'x.h5', '--seed', '-1']]) {
    const r = tk(...args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.false(r.stderr.includes('    at '), 'no stack trace');
  }
  t.regex(tk('train').stderr, /^error: missing required argument 'DATA_DIR'\n\(add --help for usage\)\n$/);
  const failed = tk('inspect', fileURLToPath(new URL('./no-such-file.h5', import.meta.url)));
  t.is(failed.status, 1);
  t.regex(failed.stderr, /^transferkit: .*no-such-file\.h5: no such file/);
});
