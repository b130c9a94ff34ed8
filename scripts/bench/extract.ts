/**
 * Bottleneck extraction: engine img/s per engine at 224 and 150 for batch 1/8/16 (compute only, on
 * preprocessed synthetic input), end-to-end extract img/s on real photos (decode + preprocess +
 * engine + lmdb commit) for onnx and for tfjs-wasm with 2 worker processes, warm-cache re-read img/s,
 * and peak RSS. Each measurement runs in its own child process so peak RSS belongs to it alone.
 * Weights: glorot-initialised VGG16 (init-weights); speed does not depend on the values.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = fileURLToPath(import.meta.url);
const root = resolve(dirname(here), '..', '..');
const dataset = resolve(root, '..', 'shared', 'datasets', 'hymenoptera');
const ENGINE_IMAGES = { onnx: 32, tfjs: 4 } as const;

type Phase = { phase: string; [k: string]: unknown };

const peakRssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** One measurement, run inside a child process. */
async function measure(p: Phase, weights: string, work: string): Promise<Record<string, unknown>> {
  const { createEngine } = await import('../../src/models/engines/index.ts');
  const { extractFeatures, loadFeatures } = await import('../../src/cache/extract-features.ts');
  const { FeatureStore, featureKey } = await import('../../src/cache/feature-store.ts');
  const { scanDataset } = await import('../../src/data/scan.ts');
  if (p.phase === 'engine') {
    const { engine, size, batch } = p as unknown as { engine: 'onnx' | 'tfjs'; size: number; batch: number };
    const e = await createEngine({ weights, inputSize: size, engine, backend: 'wasm' });
    const x = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => ((i * 2654435761) % 256) - 128);
    await e.run(x, batch); // warm-up: session planning / xnnpack packing
    const images = Math.max(ENGINE_IMAGES[engine], batch);
    const start = performance.now();
    for (let done = 0; done < images; done += batch) await e.run(x, batch);
    const seconds = (performance.now() - start) / 1000;
    await e.dispose();
    return { engine: e.name, size, batch, images: Math.ceil(images / batch) * batch, imgPerSec: +((Math.ceil(images / batch) * batch) / seconds).toFixed(2), peakRssMB: peakRssMB() };
  }
  const ds = await scanDataset(dataset);
  const items = [...ds.splits.train, ...ds.splits.validation];
  if (p.phase === 'extract') {
    const { engine, workers, images, size } = p as unknown as { engine: 'onnx' | 'tfjs'; workers: number; images: number; size: number };
    const cache = join(work, `cache-${engine}-${workers}-${images}-${size}`);
    const s = await extractFeatures(items.slice(0, images), { weights, cache, engine, workers, inputSize: size, batchSize: 8, backend: 'wasm' });
    return { engine: s.engine, workers, size, images: s.computed, seconds: +s.seconds.toFixed(1), imgPerSec: +(s.computed / s.seconds).toFixed(2), peakRssMB: peakRssMB(), note: 'includes engine start-up, decode, preprocess and lmdb commits' };
  }
  if (p.phase === 'warm') {
    // Re-read features already cached by the onnx extract phase, as training does (loadFeatures).
    const { images } = p as unknown as { images: number };
    const cache = join(work, `cache-onnx-1-${images}-224`);
    const subset = items.slice(0, images);
    await loadFeatures(subset, { weights, cache });
    const start = performance.now();
    const { features } = await loadFeatures(subset, { weights, cache });
    const seconds = (performance.now() - start) / 1000;
    return { images, featureFloats: features.length, imgPerSec: Math.round(images / seconds), peakRssMB: peakRssMB() };
  }
  if (p.phase === 'synthetic') {
    // RSS as the cache grows to N entries at 7x7x512: features written then all read back in batches.
    const { entries } = p as unknown as { entries: number };
    const store = await FeatureStore.open(join(work, `synthetic-${entries}`));
    const features = new Float32Array(7 * 7 * 512).fill(0.5);
    const keys = Array.from({ length: entries }, (_, i) => featureKey({ fingerprint: 'bench', imageHash: String(i).padStart(8, '0'), variant: 'orig' }));
    for (let i = 0; i < entries; i += 16) await store.put(keys.slice(i, i + 16).map((key) => ({ key, features })));
    const start = performance.now();
    for (let i = 0; i < entries; i += 64) await store.get(keys.slice(i, i + 64));
    const seconds = (performance.now() - start) / 1000;
    await store.close();
    return { entries, readImgPerSec: Math.round(entries / seconds), peakRssMB: peakRssMB(), note: 'cache-only synthetic entries (no extraction): 2,000 real extractions do not fit the bench time here' };
  }
  throw new Error(`unknown phase ${p.phase}`);
}

async function inChild(p: Phase, weights: string, work: string): Promise<Record<string, unknown>> {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', here, JSON.stringify(p), weights, work], { cwd: root, maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  console.log(JSON.stringify(result));
  return result;
}

export default async function bench(): Promise<Record<string, unknown>> {
  const { initWeights } = await import('../../src/models/init-weights.ts');
  const work = await mkdtemp(join(tmpdir(), 'tk-bench-extract-'));
  try {
    const weights = join(work, 'notop.h5');
    await initWeights(weights, { includeTop: false });
    const loadBefore = loadavg()[0];
    const engines = [];
    for (const engine of ['onnx', 'tfjs'] as const)
      for (const size of [224, 150])
        for (const batch of [1, 8, 16]) {
          if (engine === 'tfjs' && batch === 16) continue; // wasm at 4 s per batch of 8 already shows the plateau
          engines.push(await inChild({ phase: 'engine', engine, size, batch }, weights, work));
        }
    const extract = [
      await inChild({ phase: 'extract', engine: 'onnx', workers: 1, images: 100, size: 224 }, weights, work),
      await inChild({ phase: 'extract', engine: 'tfjs', workers: 2, images: 16, size: 224 }, weights, work),
    ];
    const warm = await inChild({ phase: 'warm', images: 100 }, weights, work);
    const rss = [await inChild({ phase: 'synthetic', entries: 100 }, weights, work), await inChild({ phase: 'synthetic', entries: 2000 }, weights, work)];
    return {
      targets: { onnx224: '>= 12 img/s', tfjsWasm2Workers224: '>= 2.5 img/s', warmCache: '>= 1000 img/s', rss: '< 1.5 GB, flat 100 -> 2,000' },
      cores: cpus().length,
      loadAverageAtStart: loadBefore,
      loadAverageAtEnd: loadavg()[0],
      caveat: 'our machines are shared: a load average above the core count means other work competed for the same 2 cores',
      engines,
      extract,
      warmCache: warm,
      rssByCacheSize: rss,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// Child mode: `node --import tsx extract.ts PHASE_JSON WEIGHTS WORKDIR` prints one JSON line.
if (process.argv[1] === here && process.argv[2]) {
  const result = await measure(JSON.parse(process.argv[2]) as Phase, process.argv[3]!, process.argv[4]!);
  console.log(JSON.stringify(result));
  process.exit(0);
}
