import test from 'ava';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeQueueName, parseQueueUrl, QUEUE_DEFAULTS } from '../src/queue/queue-url.ts';
import { extractOnQueue } from '../src/queue/submit.ts';
import { freePort } from './helpers/free-port.ts';
import { tempDir } from './helpers/temp-dir.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

test('one URL carries the connection and the recovery timings, with BullMQ-like defaults', (t) => {
  t.deepEqual(parseQueueUrl('redis://127.0.0.1:6390'), { connection: { host: '127.0.0.1', port: 6390, db: 0 }, ...QUEUE_DEFAULTS });
  t.deepEqual(parseQueueUrl('rediss://tk:s%40cret@queue.internal/3?stalledInterval=1000&lockDuration=2000&prefix=tk'), {
    connection: { host: 'queue.internal', port: 6379, db: 3, username: 'tk', password: 's@cret', tls: {} },
    prefix: 'tk',
    lockDuration: 2000,
    stalledInterval: 1000,
    maxStalledCount: QUEUE_DEFAULTS.maxStalledCount,
  });
});

test('a bad queue URL is refused with what to write instead', (t) => {
  t.throws(() => parseQueueUrl('127.0.0.1:6379'), { message: /not a URL; expected redis:\/\/HOST:PORT/ });
  t.throws(() => parseQueueUrl('http://127.0.0.1:6379'), { message: /expected a redis:\/\/ or rediss:\/\/ URL/ });
  t.throws(() => parseQueueUrl('redis://127.0.0.1:6379/x'), { message: /Redis database number/ });
  t.throws(() => parseQueueUrl('redis://127.0.0.1:6379?stalledInterval=10'), { message: /stalledInterval/ });
  t.throws(() => parseQueueUrl('redis://127.0.0.1:6379?lockduration=5000'), { message: /lockduration/ });
});

test('each cache directory has its own merge queue', (t) => {
  t.is(mergeQueueName('.cache/features'), mergeQueueName(resolve('.cache/features')));
  t.not(mergeQueueName('/a/features'), mergeQueueName('/b/features'));
  t.regex(mergeQueueName('/a/features'), /^transferkit-merge-[0-9a-f]{16}$/);
});

/** Modules reachable from `file` through static value imports and re-exports (type-only ones erase). */
async function staticGraph(file: string, seen = new Set<string>()): Promise<Set<string>> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = await readFile(file, 'utf8');
  for (const [, typeOnly, spec] of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)';/gms)) {
    if (typeOnly || !spec) continue;
    if (spec.startsWith('.')) await staticGraph(resolve(dirname(file), spec), seen);
    else seen.add(spec);
  }
  return seen;
}

test('without --queue nothing loads bullmq: extract, train and the library import it only dynamically', async (t) => {
  for (const entry of ['src/cli/extract.ts', 'src/cli/train.ts', 'src/index.ts', 'src/queue/submit.ts', 'src/queue/shard-worker.ts']) {
    const graph = await staticGraph(join(root, entry));
    t.true(graph.size > 3, `${entry} graph walked`);
    t.false([...graph].some((m) => m === 'bullmq' || m === 'ioredis'), `${entry} reaches bullmq statically`);
  }
  t.regex(await readFile(join(root, 'src/queue/jobs.ts'), 'utf8'), /import\('bullmq'\)/);
});

test('extract --queue with no Redis listening fails with a message naming the address, in bounded time', async (t) => {
  const dir = await tempDir('tk-queue-url-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Only hashed before Redis is needed: any bytes do.
  await writeFile(join(dir, 'w.h5'), 'weights');
  await writeFile(join(dir, 'a.jpg'), 'image');
  const port = await freePort();
  await t.throwsAsync(
    extractOnQueue([{ path: join(dir, 'a.jpg') }], { weights: join(dir, 'w.h5'), cache: join(dir, 'cache'), dataRoot: dir, queue: parseQueueUrl(`redis://127.0.0.1:${port}`) }),
    { message: new RegExp(`no Redis answered at 127.0.0.1:${port} within 10 s; start redis-server there`) },
  );
});
