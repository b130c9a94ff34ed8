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

test('flag values wrong in ways found after parsing exit 2 too, naming the flag, before any work', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['visualize', 'kernels', '--weights', 'w.h5', '--filters', '3-1', '--out', 'o.png'], /--filters: "3-1" in "3-1" is not a valid range/],
    [['visualize', 'gradcam', 'a', 'b', 'c', '--out', 'o.png'], /gradcam takes RUN_DIR IMAGE/],
    [['extract', 'no-such-dir', '--weights', 'w.h5', '--cut', 'block9_pool'], /--cut: .*"block1_conv1".*"block5_pool"/],
    [['extract', 'no-such-dir', '--weights', 'w.h5', '--queue', 'http://localhost:6379'], /--queue http:\/\/localhost:6379: expected a redis:\/\/ or rediss:\/\/ URL/],
    [['advise', 'no-such-dir', '--seed', '-1'], /--seed: /],
    [['check', 'no-such-dir', '--val-split', '1.5'], /--val-split: /],
  ];
  for (const [args, message] of cases) {
    const r = tk(...args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
  }
});

test('--help of every command that reads a data folder shows the one default seed', (t) => {
  for (const command of ['train', 'advise', 'extract', 'check', 'augment-preview']) {
    t.regex(tk(command, '--help').stdout, /--seed <n>\s+seed[^-]*\(default\s+1337\)/, command);
  }
});
