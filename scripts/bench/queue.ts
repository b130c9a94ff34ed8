/**
 * `extract --queue` against plain `extract`, in one run, at fp32 and at int8: the same real photos
 * through onnx, first in this process (plain, twice: before and after, to show the drift of a
 * shared machine), then through a local redis-server with 1, 2 and 4 worker processes. Workers
 * are warmed before they are timed: each has computed a full shard of one batch at the run's
 * precision, so its engine is loaded and has run full-size batches.
 *
 * Both are timed the same way: from the moment every engine has committed its first batch (plain:
 * its first batch; the queue: the first batch of as many shards as there are workers) to the moment
 * every feature is in the cache (plain: its last batch committed to lmdb; the queue: the shards
 * merged into lmdb), so start-up and teardown (engine disposal, closing connections) are out of
 * both. Images and CPU-seconds count between the same moments: this process, the workers and
 * redis-server, from /proc. The queue's
 * overhead per image is the 1-worker row against plain (same onnx threads). On 2 cores more
 * workers cannot gain: their rows show they do not lose.
 *
 * BENCH_QUEUE_IMAGES (default 96) and BENCH_QUEUE_SIZE (default 224) shrink it for a quick check;
 * such a run is not a measurement (do not commit its JSON).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedPrecision } from '../../src/cache/precision.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataset = resolve(root, '..', 'shared', 'datasets', 'hymenoptera');
const cli = join(root, 'bin', 'transferkit.js');
const IMAGES = Number(process.env.BENCH_QUEUE_IMAGES ?? 96);
const SIZE = Number(process.env.BENCH_QUEUE_SIZE ?? 224);
const BATCH = 8;
const SHARD_SIZE = 16;
const WORKERS = [1, 2, 4];
const WARM_ROUNDS = 5;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
const selfCpu = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const load = (): number => +loadavg()[0]!.toFixed(2);

interface Worker {
  child: ChildProcess;
  log: string;
}

async function startWorkers(url: string, n: number, threads: number | undefined): Promise<Worker[]> {
  const workers = Array.from({ length: n }, (): Worker => {
    const child = spawn('node', [cli, 'worker', '--queue', url, '--engine', 'onnx', ...(threads ? ['--threads', String(threads)] : [])], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    const w = { child, log: '' };
    child.stderr!.on('data', (d: Buffer) => (w.log += d.toString()));
    return w;
  });
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((res, rej) => {
          w.child.stderr!.on('data', () => w.log.includes('connected') && res());
          w.child.once('exit', (code) => rej(new Error(`worker exited with ${code}: ${w.log}`)));
        }),
    ),
  );
  return workers;
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise((res) => (w.child.once('exit', res), w.child.kill('SIGTERM')))));
}

/** A worker is warm once it has finished a shard of a full batch. */
const warmed = (w: Worker): boolean => [...w.log.matchAll(/shard \S+ done: (\d+) images/g)].some((m) => Number(m[1]) === BATCH);

/** A moment of a timed run: when, images computed by then, CPU-seconds used by then. */
interface Mark {
  at: number;
  computed: number;
  cpu: number;
}

export default async function bench(): Promise<Record<string, unknown>> {
  const { initWeights } = await import('../../src/models/init-weights.ts');
  const { EXTRACT_DEFAULTS, extractFeatures } = await import('../../src/cache/extract-features.ts');
  const { FP32, resolvePrecision } = await import('../../src/cache/precision.ts');
  const { extractOnQueue } = await import('../../src/queue/submit.ts');
  const { parseQueueUrl } = await import('../../src/queue/queue-url.ts');
  const { scanDataset } = await import('../../src/data/scan.ts');
  const { defaultSplit } = await import('../../src/options/pieces.ts');
  const { startRedis } = await import('../../test/helpers/redis-server.ts');
  const work = await mkdtemp(join(tmpdir(), 'tk-bench-queue-'));
  const redis = await startRedis();
  try {
    const weights = join(work, 'notop.h5');
    await initWeights(weights, { includeTop: false });
    const ds = await scanDataset(dataset, defaultSplit());
    const all = [...ds.splits.train, ...ds.splits.validation];
    const warmCount = BATCH * Math.max(...WORKERS);
    if (!(IMAGES >= BATCH * 2 && IMAGES + warmCount <= all.length)) throw new Error(`bench queue: BENCH_QUEUE_IMAGES must be ${BATCH * 2}..${all.length - warmCount} (${warmCount} more photos warm the workers)`);
    const items = all.slice(0, IMAGES);
    const warmItems = all.slice(IMAGES, IMAGES + warmCount);
    const settings = parseQueueUrl(redis.url);
    const common = { weights, inputSize: SIZE, batchSize: BATCH };

    // int8 is decided once, calibrated on the timed images; every run's cache gets that calibration.
    const calibrated = join(work, 'calibrated');
    const int8 = await resolvePrecision(items, { weights, inputSize: SIZE, resize: EXTRACT_DEFAULTS.resize, cache: calibrated, engine: 'onnx', precision: 'int8', cuts: ['block5_pool'] });
    if (int8.resolved.precision !== 'int8') throw new Error(`bench queue: int8 is not usable here: ${int8.message}`);
    let caches = 0;
    const cacheFor = async (precision: ResolvedPrecision): Promise<string> => {
      const cache = join(work, `cache-${caches++}`);
      if (precision.precision === 'int8') await cp(join(calibrated, 'calibration'), join(cache, 'calibration'), { recursive: true });
      return cache;
    };
    const row = (run: string, precision: ResolvedPrecision, start: Mark, end: Mark, loadBefore: number, extra: Record<string, unknown> = {}) => {
      const images = end.computed - start.computed;
      const r = {
        run, precision: precision.precision, ...extra, images, imgPerSec: +(images / ((end.at - start.at) / 1000)).toFixed(2), cpuSecPerImg: +((end.cpu - start.cpu) / images).toFixed(3), loadBefore, loadAfter: load(),
      };
      console.log(JSON.stringify(r));
      return r;
    };

    const plain = async (label: string, precision: ResolvedPrecision) => {
      const cache = await cacheFor(precision);
      const loadBefore = load();
      let start: Mark | undefined;
      let end: Mark | undefined;
      await extractFeatures(items, {
        ...common, cache, engine: 'onnx', precision,
        onEvent: (e) => {
          if (e.type !== 'extract' || e.progress.computed === 0) return;
          end = { at: performance.now(), computed: e.progress.computed, cpu: selfCpu() };
          start ??= end;
        },
      });
      return row(label, precision, start!, end!, loadBefore);
    };

    const queued = async (n: number, precision: ResolvedPrecision) => {
      const threads = Math.max(1, Math.floor(cpus().length / n));
      const workers = await startWorkers(redis.url, n, n === 1 ? undefined : threads);
      const cpu = (): number => selfCpu() + cpuSeconds(redis.pid) + workers.reduce((a, w) => a + cpuSeconds(w.child.pid!), 0);
      try {
        for (let round = 0; !workers.every(warmed); round++) {
          if (round === WARM_ROUNDS) throw new Error(`bench queue: ${workers.filter((w) => !warmed(w)).length} of ${n} workers took no warm-up shard in ${WARM_ROUNDS} rounds`);
          await extractOnQueue(warmItems.slice(0, BATCH * n), { ...common, precision, cache: await cacheFor(precision), queue: settings, dataRoot: dataset, shardSize: BATCH });
        }
        const cache = await cacheFor(precision);
        const loadBefore = load();
        let start: Mark | undefined;
        let end: Mark | undefined;
        let computed = 0;
        await extractOnQueue(items, {
          ...common, precision, cache, queue: settings, dataRoot: dataset, shardSize: SHARD_SIZE,
          onEvent: (e) => {
            if (e.type === 'progress') {
              computed = e.progress.computed;
              if (e.shardsStarted >= Math.min(n, e.shards)) start ??= { at: performance.now(), computed, cpu: cpu() };
            } else if (e.type === 'merged') end = { at: performance.now(), computed, cpu: cpu() };
          },
        });
        return row(`queue, ${n} worker${n > 1 ? 's' : ''}`, precision, start!, end!, loadBefore, { onnxThreadsPerWorker: n === 1 ? cpus().length : threads });
      } finally {
        await stopWorkers(workers);
      }
    };

    const results: Record<string, unknown> = {};
    for (const precision of [FP32, int8.resolved]) {
      const rows = [await plain('plain-before', precision)];
      for (const n of WORKERS) rows.push(await queued(n, precision));
      rows.push(await plain('plain-after', precision));
      const [before, oneWorker, after] = [rows[0]!, rows[1]!, rows.at(-1)!];
      results[precision.precision] = {
        rows,
        overheadPerImage1Worker: {
          wallPercent: +(((before.imgPerSec + after.imgPerSec) / 2 / oneWorker.imgPerSec - 1) * 100).toFixed(1),
          cpuPercent: +((oneWorker.cpuSecPerImg / ((before.cpuSecPerImg + after.cpuSecPerImg) / 2) - 1) * 100).toFixed(1),
          target: '< 5%',
        },
      };
    }
    return {
      images: IMAGES, size: SIZE, batchSize: BATCH, shardSize: SHARD_SIZE, cores: cpus().length,
      int8: int8.message,
      timing: 'from the moment every engine has committed its first batch (plain: its first; queue: the first of as many shards as there are workers, warmed beforehand with full-batch shards) to the moment every feature is in the cache (plain: last batch committed; queue: shards merged); images and CPU-seconds (this process, workers, redis-server) counted between the same moments',
      ...results,
      caveat: 'our machines are shared with other engineers: wall img/s moves with their load (loadBefore/loadAfter per row, plain measured before and after); CPU-seconds per image move much less',
    };
  } finally {
    await redis.stop();
    await rm(work, { recursive: true, force: true });
  }
}
