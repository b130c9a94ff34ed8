import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { OFFICIAL_FILES, fetchWeights, selectOfficialFiles, sourceUrl } from '../src/models/fetch.ts';
import { tempDir } from './helpers/temp-dir.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/transferkit.js', import.meta.url).pathname;

test('the official files carry the md5s Keras checks', (t) => {
  t.is(OFFICIAL_FILES.top.md5, '64373286793e3c8b2b4e3219cbf3544b');
  t.is(OFFICIAL_FILES.notop.md5, '6d6bbae143d832006294945121d1f1fc');
  t.is(OFFICIAL_FILES.classIndex.md5, 'c2c37ea517e94d9795004a39431a14cb');
});

test('selections: notop by default, the class index always', (t) => {
  const names = (w?: 'top' | 'notop' | 'all') => selectOfficialFiles(w).map((f) => f.name);
  t.deepEqual(names(), [OFFICIAL_FILES.classIndex.name, OFFICIAL_FILES.notop.name]);
  t.deepEqual(names('top'), [OFFICIAL_FILES.classIndex.name, OFFICIAL_FILES.top.name]);
  t.deepEqual(names('all'), [OFFICIAL_FILES.classIndex.name, OFFICIAL_FILES.notop.name, OFFICIAL_FILES.top.name]);
});

test('a base URL serves files by name; without one the official URL is used', (t) => {
  t.is(sourceUrl(OFFICIAL_FILES.notop, 'http://mirror/x'), `http://mirror/x/${OFFICIAL_FILES.notop.name}`);
  t.is(sourceUrl(OFFICIAL_FILES.notop, 'http://mirror/x/'), `http://mirror/x/${OFFICIAL_FILES.notop.name}`);
  t.is(sourceUrl(OFFICIAL_FILES.notop), OFFICIAL_FILES.notop.url);
});

/** A mirror that answers every request with `body`, recording the paths asked for. */
async function mirror(body: Buffer) {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/vgg16`,
    paths,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

test('fetchWeights asks the mirror for the class index first and stops at its md5 mismatch', async (t) => {
  const dest = await tempDir('tk-fetch-');
  const body = Buffer.from('{"0": ["n0", "not the real index"]}');
  const server = await mirror(body);
  t.teardown(server.close);
  const err = await t.throwsAsync(fetchWeights({ dest, baseUrl: server.base }));
  t.deepEqual(server.paths, ['/vgg16/imagenet_class_index.json']);
  t.true(err.message.includes(`expected ${OFFICIAL_FILES.classIndex.md5}`), err.message);
  t.true(err.message.includes(`got ${createHash('md5').update(body).digest('hex')}`), err.message);
  t.true(err.message.includes(join(dest, 'imagenet_class_index.json')), err.message);
  t.deepEqual(await readdir(dest), []);
});

test('transferkit fetch-weights takes the mirror from TRANSFERKIT_WEIGHTS_BASE_URL and fails with one line, exit 1', async (t) => {
  const dest = await tempDir('tk-fetch-');
  const server = await mirror(Buffer.from('nope'));
  t.teardown(server.close);
  const err = await t.throwsAsync(
    run(process.execPath, [CLI, 'fetch-weights', '--top', '--dest', dest], {
      env: { ...process.env, TRANSFERKIT_WEIGHTS_BASE_URL: server.base },
    }),
  ) as Error & { code: number; stderr: string };
  t.is(err.code, 1);
  t.deepEqual(server.paths, ['/vgg16/imagenet_class_index.json']);
  const lines = err.stderr.trim().split('\n');
  t.regex(lines.at(-1) ?? '', /^transferkit: md5 mismatch for .*imagenet_class_index\.json/);
  t.false(err.stderr.includes('    at '), 'no stack trace');
});

test('transferkit fetch-weights refuses conflicting selections as a usage error, exit 2', async (t) => {
  const err = await t.throwsAsync(run(process.execPath, [CLI, 'fetch-weights', '--top', '--notop'])) as Error & {
    code: number;
    stderr: string;
  };
  t.is(err.code, 2);
  t.regex(err.stderr, /cannot be used with/);
});
