import type { Command } from 'commander';
import { z } from 'zod';
import type { NativeOrigin } from '../backend/index.ts';
import { backendFromCli } from './backend.ts';
import { diagnose, type Diagnosis, type WeightsFileStatus } from './diagnose.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({
  json: z.boolean().default(false),
  md5: z.boolean().default(false),
  modelsDir: z.string().optional(),
});

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function describeWeights(file: WeightsFileStatus): string {
  const notes: string[] = [];
  if (file.randomInit !== undefined) {
    notes.push(`random-init weights from transferkit init-weights (${file.randomInit}), not ImageNet's${file.official !== null ? ' (under the official name)' : ''}`);
  } else if (file.official !== null) {
    notes.push(`official Keras VGG16 ${file.official === 'top' ? 'with top' : 'without top (notop)'}`);
    if (file.sizeMatches === false) notes.push('SIZE DIFFERS from the official file (partial download? run `transferkit fetch-weights`)');
  }
  if (file.md5 !== undefined) notes.push(file.md5Matches === false ? `md5 ${file.md5} DOES NOT MATCH` : `md5 ${file.md5}${file.md5Matches ? ' ok' : ''}`);
  return `  ${file.name}  ${megabytes(file.bytes)}${notes.length > 0 ? `  ${notes.join(', ')}` : ''}`;
}

/** Where a native backend's addon came from, and for a pip-built GPU one which CUDA libraries it has. */
function describeOrigin(origin: NativeOrigin | undefined, indent: string): string[] {
  if (origin === undefined) return [];
  if (origin.kind === 'official') return [`${indent}from tfjs-node's official libtensorflow download`];
  const { record, cuda } = origin;
  const lines = [`${indent}built from pip ${record.pipPackage} ${record.tensorflowVersion} at ${record.libraryDir}`];
  if (cuda !== undefined) {
    lines.push(...Object.entries(cuda.found).map(([lib, path]) => `${indent}  found ${lib} ${path}`));
    if (cuda.missing.length > 0) lines.push(`${indent}  MISSING ${cuda.missing.join(', ')} (re-run \`transferkit setup tensorflow --gpu\`)`);
    lines.push(`${indent}  ${cuda.driver ? 'NVIDIA driver libcuda.so.1 found' : 'no NVIDIA driver (libcuda.so.1): TensorFlow runs on the CPU'}`);
  }
  return lines;
}

/** What `--precision int8` gets here; speed ratios measured in docs/onnx-engine.md. */
function describeInt8(weightBits: 7 | 8, arch: string): string {
  if (weightBits === 7) return "7-bit weights (no VNNI: AVX2's u8 x s8 products would saturate int16 with 8-bit ones); int8 runs ~1.8x fp32";
  return arch === 'x64' ? '8-bit weights (VNNI); int8 runs ~3.5x fp32' : '8-bit weights';
}

/** The plain-text report: one section per concern, every unavailable thing with its reason. */
export function formatDiagnosis(d: Diagnosis): string {
  const { backend } = d;
  const wasm = backend.wasm === null ? '' : `; wasm SIMD ${backend.wasm.simd ? 'yes' : 'no'}, threads ${backend.wasm.threads ? 'yes' : 'no'}`;
  const width = Math.max(...backend.candidates.map((c) => c.name.length));
  const lines = [
    `Node      ${d.node.version} (${d.node.platform} ${d.node.arch})`,
    `Backend   ${backend.active ?? 'none'} (requested: ${backend.requested ?? 'auto'}${wasm})`,
    ...(backend.error === undefined ? [] : [`  error: ${backend.error}`]),
    ...backend.candidates.map((c) => {
      const what = c.packageName === null ? `built into @tensorflow/tfjs ${c.version}` : `${c.packageName}${c.version ? ` ${c.version}` : ''}`;
      return [`  ${c.name.padEnd(width)}  ${c.status.padEnd(11)}  ${c.reason ?? what}`, ...describeOrigin(c.origin, ' '.repeat(width + 17))];
    }).flat(),
    'Engines (frozen VGG16 prefix)',
    ...d.engines.map((e) => `  ${e.engine.padEnd(width)}  ${(e.available ? 'available' : 'unavailable').padEnd(11)}  ${e.detail}`),
    `  int8 on this CPU: ${describeInt8(d.int8.weightBits, d.node.arch)}`,
    'Packages',
    ...Object.entries(d.packages).map(([name, version]) => `  ${name} ${version ?? 'NOT INSTALLED'}`),
    `Weights in ${d.weights.dir}`,
    ...(d.weights.files.length > 0
      ? d.weights.files.map(describeWeights)
      : ['  none (*.h5, *.keras); `transferkit fetch-weights` downloads the official VGG16 files']),
    ...(d.weights.keras.files.length > 0 ? [`Keras's downloads in ${d.weights.keras.dir} (used too)`, ...d.weights.keras.files.map(describeWeights)] : []),
  ];
  return lines.join('\n');
}

/** `transferkit doctor`: what this installation runs on and which weights it has. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show the tfjs backend in use and why the others are unavailable, engines, versions and weights found')
    .option('--json', 'print the report as JSON')
    .option('--md5', 'also check the md5 of each weights file (reads every byte)')
    .option('--models-dir <dir>', 'folder to look for weights in (default: ~/.cache/transferkit/models, or $TRANSFERKIT_HOME/models)')
    .action(async (raw: unknown, cmd: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'doctor options', { asFlags: true });
      const report = await diagnose({ backend: backendFromCli(cmd), md5: o.md5, modelsDir: o.modelsDir });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatDiagnosis(report));
    });
}
