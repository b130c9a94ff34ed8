/**
 * Acceptance for `extract --queue` + `worker`: a local redis-server on 127.0.0.1, three worker
 * processes, hymenoptera at 64 px in shards of 24. One worker is killed with SIGKILL part-way
 * through a shard; BullMQ's stalled-job check (every second here, via the URL) hands that shard to
 * another worker. Then: every image cached, the cache byte-identical to a plain `extract`, every
 * shard file whole, a second merge of the same shards changes nothing, and Redis keeps no jobs.
 * And int8: a submission's shards carry its calibration, a worker pinned to fp32 leaves them to an
 * int8 one, and the cache is byte-identical to plain `extract --precision int8`.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { resolvePrefix } from '../../src/cache/extract-features.ts';
import { FeatureStore } from '../../src/cache/feature-store.ts';
import { scanDataset } from '../../src/data/scan.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { mergeShards } from '../../src/queue/merge.ts';
import { mergeQueueName, SHARD_QUEUE } from '../../src/queue/queue-url.ts';
import { readShard, SHARD_EXT } from '../../src/queue/shard-file.ts';
import { startRedis, type LocalRedis } from '../helpers/redis-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataset = resolve(root, '..', 'shared', 'datasets', 'hymenoptera');
const cli = join(root, 'bin', 'transferkit.js');
const run = promisify(execFile);
const common = ['--input-size', '64', '--batch-size', '4'];
/** Upper bound of every wait below (polls every 50 ms). */
const WAIT_MS = 240_000;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let waited = 0; waited < WAIT_MS; waited += 50) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function snapshot(cache: string): Promise<{ entries: Map<string, Buffer>; meta: string }> {
  const store = await FeatureStore.open(cache, { readOnly: true });
  const entries = new Map<string, Buffer>();
  for (const { key, value } of store.entries()) entries.set(key, Buffer.from(value));
  const meta = JSON.stringify(store.prefixes());
  await store.close();
  return { entries, meta };
}

interface WorkerProcess {
  child: ChildProcess;
  log: string;
}

function startWorker(url: string, ...args: string[]): WorkerProcess {
  const child = spawn('node', [cli, 'worker', '--queue', url, '--engine', 'onnx', '--threads', '1', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const w: WorkerProcess = { child, log: '' };
  child.stderr!.on('data', (d: Buffer) => (w.log += d.toString()));
  return w;
}

async function redisKeys(port: number): Promise<string[]> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan', '--pattern', 'bull:*'])).stdout.split('\n').filter(Boolean);
}

/** Keys of anything but a queue's own bookkeeping: jobs, their children lists, locks. */
const jobKeys = (keys: string[]): string[] => keys.filter((k) => !/:(events|meta|id|marker|stalled-check)$/.test(k));

/** A temp folder, a redis-server and random-init weights, all removed after the test with any worker left in `workers`. */
async function setUp(t: ExecutionContext, name: string): Promise<{ dir: string; redis: LocalRedis; workers: WorkerProcess[]; weights: string; unique: number }> {
  const dir = await tempDir(`tk-queue-${name}-`);
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  t.teardown(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const weights = join(dir, 'notop.h5');
  await initWeights(weights, { includeTop: false });
  const ds = await scanDataset(dataset, { valSplit: 0.2, seed: 0 });
  return { dir, redis, workers, weights, unique: new Set([...ds.splits.train, ...ds.splits.validation].map((i) => i.hash)).size };
}

const exitOf = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => (child.exitCode !== null || child.signalCode !== null ? res({ code: child.exitCode, signal: child.signalCode }) : child.once('exit', (code, signal) => res({ code, signal }))));

test.serial('three queue workers, one killed mid-shard: every image cached once, bytes equal to plain extract, no half-written shard, no jobs left in Redis', async (t) => {
  const { dir, redis, workers, weights, unique } = await setUp(t, 'shared');
  const url = `${redis.url}/0?stalledInterval=1000&lockDuration=2000`;

  for (let i = 0; i < 3; i++) workers.push(startWorker(url));
  await until('three workers connected', () => (workers.every((w) => w.log.includes('connected')) ? true : undefined));

  const cache = join(dir, 'queued');
  const shardDir = join(dir, 'shards');
  const submit = spawn('node', [cli, 'extract', dataset, '--weights', weights, '--cache', cache, ...common, '--queue', url, '--precision', 'fp32', '--shard-size', '24', '--shard-dir', shardDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  submit.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  submit.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const submitted = exitOf(submit);

  // Kill a worker once its shard has committed some batches but not all (progress through the job).
  const shards = new Queue(SHARD_QUEUE, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'bull' });
  t.teardown(() => shards.close());
  const victim = await until('a shard part-way through', async () => {
    for (const job of await shards.getActive()) {
      const p = job.progress as { done?: number };
      const w = workers.find((w) => w.log.includes(`shard ${job.id} started`) && !w.log.includes(`shard ${job.id} done`));
      if (w && (p.done ?? 0) > 0 && p.done! < job.data.jobs.length / 2) return { worker: w, shard: job.id! };
    }
    return undefined;
  });
  victim.worker.child.kill('SIGKILL');
  t.is((await exitOf(victim.worker.child)).signal, 'SIGKILL');

  const status = JSON.parse((await run('node', [cli, 'queue', 'status', '--queue', url, '--json'], { cwd: root })).stdout) as { workers: number; counts: { failed: number } };
  t.is(status.workers, 2, 'the killed worker no longer counts');
  t.is(status.counts.failed, 0);

  const { code } = await submitted;
  t.is(code, 0, err);
  t.regex(out, new RegExp(`computed ${unique}, reused 0, skipped-unreadable 0 of ${unique}`));
  t.regex(err, /enqueued \d+ images in \d+ shards/);
  const survivors = workers.filter((w) => w !== victim.worker);
  t.true(survivors.some((w) => w.log.includes(`shard ${victim.shard} done`)), `shard ${victim.shard} was finished by another worker`);

  // The same data, extracted in one process.
  const plain = join(dir, 'plain');
  await run('node', [cli, 'extract', dataset, '--weights', weights, '--cache', plain, ...common, '--engine', 'onnx', '--precision', 'fp32'], { cwd: root });
  const [a, b] = [await snapshot(plain), await snapshot(cache)];
  t.is(b.entries.size, unique);
  t.is(b.entries.size, a.entries.size);
  let differing = 0;
  for (const [key, value] of a.entries) if (!b.entries.get(key)?.equals(value)) differing++;
  t.is(differing, 0, `${differing} entries differ between the queued and the plain cache`);
  t.is(b.meta, a.meta);

  // Shard files: only whole, verified ones (readShard checks the bytes against the name); no temp files.
  const files = await readdir(shardDir);
  const shardFiles = files.filter((f) => f.endsWith(SHARD_EXT));
  t.deepEqual(files.filter((f) => !f.endsWith(SHARD_EXT)), []);
  const read = await Promise.all(shardFiles.map((f) => readShard(join(shardDir, f))));
  t.is(new Set(read.flatMap((s) => s.entries.map((e) => e.key))).size, unique);

  // Merging every shard again changes nothing.
  const { fingerprint, identity } = await resolvePrefix({ weights, cut: 'block5_pool', inputSize: 64 });
  const store = await FeatureStore.open(cache);
  const again = await mergeShards(store, { fingerprint, identity, weights, shardDir }, shardFiles.map((file) => ({ file, computed: 0, unreadable: [] })));
  await store.close();
  t.is(again.written, 0);
  const c = await snapshot(cache);
  t.true([...b.entries].every(([key, value]) => c.entries.get(key)?.equals(value)) && c.entries.size === b.entries.size && c.meta === b.meta);

  // Redis keeps no finished jobs: both queues empty, no job hashes left.
  t.deepEqual(Object.values(await shards.getJobCounts()).filter((n) => n > 0), []);
  const merges = new Queue(mergeQueueName(cache), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'bull' });
  t.deepEqual(Object.values(await merges.getJobCounts()).filter((n) => n > 0), []);
  await merges.close();
  const keys = await redisKeys(redis.port);
  t.true(keys.includes(`bull:${SHARD_QUEUE}:meta`), `the scan sees the queue's keys: ${keys.join(' ')}`);
  t.deepEqual(jobKeys(keys), []);

  for (const w of survivors) w.child.kill('SIGTERM');
  for (const w of survivors) t.is((await exitOf(w.child)).code, 0, w.log);
});

test.serial('extract --queue --precision int8: the shards carry the calibration, an fp32-only worker leaves them, and the cache is byte-identical to plain extract --precision int8', async (t) => {
  const { dir, redis, workers, weights, unique } = await setUp(t, 'int8');

  const plain = join(dir, 'plain');
  const single = await run('node', [cli, 'extract', dataset, '--weights', weights, '--cache', plain, ...common, '--engine', 'onnx', '--precision', 'int8'], { cwd: root });
  t.regex(single.stderr, /extract: precision int8 \(/);
  // The same calibration for the submission (calibrating again would give the same fingerprint; this skips the work).
  const cache = join(dir, 'queued');
  await cp(join(plain, 'calibration'), join(cache, 'calibration'), { recursive: true });

  const fp32Only = startWorker(redis.url, '--precision', 'fp32');
  const int8Only = startWorker(redis.url, '--precision', 'int8');
  workers.push(fp32Only, int8Only);
  await until('two workers connected', () => (workers.every((w) => w.log.includes('connected')) ? true : undefined));
  const submitted = await run('node', [cli, 'extract', dataset, '--weights', weights, '--cache', cache, ...common, '--queue', redis.url, '--precision', 'int8', '--shard-size', '64', '--shard-dir', join(dir, 'shards')], { cwd: root });
  t.regex(submitted.stderr, /extract: precision int8 \(/);
  t.regex(submitted.stdout, new RegExp(`computed ${unique}, reused 0, skipped-unreadable 0 of ${unique}`));
  t.regex(submitted.stdout, /block5_pool at 64px, int8, fingerprint/);
  t.regex(fp32Only.log, /leaving int8 shards to other workers: this worker computes fp32 only \(--precision fp32\)/);
  t.false(fp32Only.log.includes('started'), fp32Only.log);
  t.regex(int8Only.log, /onnx-int8 engine loaded/);

  const [a, b] = [await snapshot(plain), await snapshot(cache)];
  t.is(b.entries.size, unique);
  t.is(a.entries.size, unique);
  let differing = 0;
  for (const [key, value] of a.entries) if (!b.entries.get(key)?.equals(value)) differing++;
  t.is(differing, 0, `${differing} int8 entries differ between the queued and the plain cache`);
  t.is(b.meta, a.meta);
  t.deepEqual(jobKeys(await redisKeys(redis.port)), []);

  for (const w of workers) w.child.kill('SIGTERM');
  for (const w of workers) t.is((await exitOf(w.child)).code, 0, w.log);
});
