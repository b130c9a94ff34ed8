/**
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh app with every
 * binary host (NuGet for onnxruntime's CUDA files, Google storage for libtensorflow) unreachable,
 * then plain Node, a strict TypeScript app and the CLI through npx. Slow (two installs of ~240
 * packages from npm's cache), hence its own suite: `npm run test:package`.
 */
import test from 'ava';
import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeShapesDataset } from '../training-shapes.ts';
import { freePort } from '../helpers/free-port.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(repo, 'node_modules', '.bin', 'tsc');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  // No TRANSFERKIT_HOME from the test runner: each app sets its own, as a user's shell would.
  const { TRANSFERKIT_HOME: _, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...inherited, ...env }, maxBuffer: 1 << 26 }, (err: ExecFileException | null, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

let work: string;
let tarball: string;
/** Environment for `npm install` with no route to any binary host; npm still reads its registry (metadata, cached tarballs). */
let offlineBinaries: NodeJS.ProcessEnv;

test.before(async () => {
  work = await tempDir('tk-package-');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], repo);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string }];
  tarball = join(work, filename);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const registry = new URL((await run('npm', ['config', 'get', 'registry'], work)).stdout.trim()).hostname;
  offlineBinaries = {
    // onnxruntime-node's installer downloads through global-agent; tfjs-node's through HTTPS_PROXY.
    GLOBAL_AGENT_HTTP_PROXY: dead,
    GLOBAL_AGENT_HTTPS_PROXY: dead,
    HTTPS_PROXY: dead,
    https_proxy: dead,
    NO_PROXY: registry,
    no_proxy: registry,
  };
});

test.after.always(() => rm(work, { recursive: true, force: true }));

/** A fresh app folder with `npm install <tarball>` done under `env`; returns the folder and the install's output. */
async function installApp(name: string, env: NodeJS.ProcessEnv): Promise<{ app: string; install: Run }> {
  const app = join(work, name);
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, { ...offlineBinaries, ...env });
  return { app, install };
}

test.serial('the tarball holds the compiled package only: no sources, tests, CI, oracle, bench or weights', async (t) => {
  const listing = await run('tar', ['tzf', tarball], work);
  const files = listing.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  t.deepEqual(files.filter((f) => !f.startsWith('dist/')).sort(), ['README.md', 'bin/transferkit.js', 'package.json']);
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/cli/main.js', 'dist/cache/extract-worker.js']) t.true(files.includes(needed), needed);
  t.deepEqual(files.filter((f) => /\.test\.|\/(test|oracle|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), []);
});

test.serial('plain npm install with no binary host reachable succeeds; plain Node trains, TypeScript type-checks, npx runs the CLI', async (t) => {
  const { app, install } = await installApp('plain-app', {});
  t.is(install.code, 0, install.stderr);
  const pkg = join(app, 'node_modules', 'transferkit');
  t.true(existsSync(join(pkg, 'dist', 'index.js')));
  t.false(existsSync(join(app, 'node_modules', 'tsx')), 'tsx is a devDependency only');
  // onnxruntime-node is optional: its failed CUDA download costs the onnx engine (npm removes it), not the install.
  t.false(existsSync(join(app, 'node_modules', 'onnxruntime-node')));

  const home = join(app, 'tk-home');
  const env = { TRANSFERKIT_HOME: home };
  await makeShapesDataset(join(app, 'data'), { perClass: 4, val: 2, seed: 3, size: 40 });
  await writeFile(
    join(app, 'app.mjs'),
    `import { initWeights, train } from 'transferkit';
await initWeights('vgg16-random.h5', { includeTop: false, seed: 1 });
const result = await train('data', { strategy: 'freeze', weights: 'vgg16-random.h5', inputSize: 32, epochs: 2, batchSize: 4, out: 'run' });
console.log(JSON.stringify({ runDir: result.runDir, epochs: result.history.length, strategy: result.plan.strategy }));
`,
  );
  const node = await run(process.execPath, ['app.mjs'], app, env);
  t.is(node.code, 0, node.stderr);
  t.deepEqual(JSON.parse(node.stdout.trim().split('\n').at(-1)!), { runDir: join(app, 'run'), epochs: 2, strategy: 'freeze' });
  const config = JSON.parse(await readFile(join(app, 'run', 'config.json'), 'utf8')) as { versions: Record<string, string> };
  const installed = async (name: string) => (JSON.parse(await readFile(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  t.is(config.versions.transferkit, await installed('transferkit'));
  t.is(config.versions.sharp, await installed('sharp'));
  t.is(config.versions['@tensorflow/tfjs'], await installed('@tensorflow/tfjs'));
  t.true((await readdir(join(home, 'features'))).length > 0, 'the feature cache is in TRANSFERKIT_HOME');
  t.false(existsSync(join(pkg, 'models')) || existsSync(join(pkg, '.cache')), 'nothing written inside node_modules/transferkit');

  // A strict NodeNext TypeScript app sees the public types (the compiler is the repo's; @types/node as an app would have).
  const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node'];
  await writeFile(
    join(app, 'app.ts'),
    `import { train, type TrainOptions, type TrainResult } from 'transferkit';
const options: TrainOptions = { strategy: 'freeze', inputSize: 32, epochs: 1 };
const result: TrainResult = await train('data', options);
const best: number = result.bestEpoch;
console.log(result.runDir, best);
`,
  );
  const typed = await run(tsc, [...flags, 'app.ts'], app);
  t.is(typed.code, 0, typed.stdout + typed.stderr);
  await writeFile(join(app, 'wrong.ts'), `import type { TrainOptions } from 'transferkit';\nexport const options: TrainOptions = { strategy: 'freez', epochs: 1 };\n`);
  const wrong = await run(tsc, [...flags, 'wrong.ts'], app);
  t.not(wrong.code, 0);
  t.regex(wrong.stdout, /wrong\.ts\(2,\d+\): error TS\d+: Type '"freez"' is not assignable/);

  const version = await run('npx', ['--no-install', 'transferkit', '--version'], app, env);
  t.is(version.code, 0, version.stderr);
  t.is(version.stdout.trim(), await installed('transferkit'));
  t.is(version.stderr, '', 'npx prints no npm warnings');
  const inClone = await run('npx', ['transferkit', '--version'], repo);
  t.is(inClone.stdout.trim(), await installed('transferkit'), 'the clone runs its sources through the same bin');
  t.is(inClone.stderr, '', 'no "Unknown project config" from npm in the clone either');
  const doctor = await run('npx', ['--no-install', 'transferkit', 'doctor'], app, env);
  t.is(doctor.code, 0, doctor.stderr);
  t.regex(doctor.stdout, new RegExp(`^Weights in ${join(home, 'models')}$`, 'm'));
  t.regex(doctor.stdout, /`transferkit fetch-weights` downloads the official VGG16 files/);
  const ortPin = (JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }).optionalDependencies['onnxruntime-node']!;
  t.true(doctor.stdout.includes(`onnxruntime-node is not installed (npm drops it when its install script cannot download CUDA files); \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@${ortPin}\``), doctor.stdout);
  const usage = await run('npx', ['--no-install', 'transferkit', 'train'], app, env);
  t.is(usage.code, 2, 'a usage error exits 2');
});

test.serial('with ONNXRUNTIME_NODE_INSTALL=skip (as the README says) onnxruntime-node installs without the CUDA download and the onnx engine is there', async (t) => {
  const { app, install } = await installApp('skip-app', { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  t.is(install.code, 0, install.stderr);
  const ort = join(app, 'node_modules', 'onnxruntime-node');
  t.true(existsSync(join(ort, 'package.json')));
  t.false(existsSync(join(ort, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so')), 'no CUDA provider downloaded');
  const doctor = await run('npx', ['--no-install', 'transferkit', 'doctor', '--json'], app, { TRANSFERKIT_HOME: join(app, 'tk-home') });
  t.is(doctor.code, 0, doctor.stderr);
  const engines = (JSON.parse(doctor.stdout) as { engines: { engine: string; available: boolean }[] }).engines;
  t.true(engines.find((e) => e.engine === 'onnx')?.available, JSON.stringify(engines));
});
