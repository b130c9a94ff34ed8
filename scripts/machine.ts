/** Facts of the machine a benchmark ran on, recorded with every figure (compare only figures of one machine). */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { int8WeightBits } from '../src/models/engines/calibrate.ts';

/** The CPU's vector extensions that decide fp32 and int8 speed (AVX-512, VNNI or AVX2 only). */
export function simdFlags(): string[] {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [];
  }
  const flags = (/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/);
  return flags.filter((f) => /^(avx2|fma|avx512f|avx512_vnni|avx_vnni|avx512_bf16|amx_int8)$/.test(f));
}

/** Set by scripts/avx2-only/run.sh: the CPU's AVX-512/VNNI/AMX are hidden, not absent. */
function cpuMask(): string | undefined {
  return process.env.TRANSFERKIT_CPU_MASK === 'avx2-only' ? 'AVX-512, VNNI and AMX hidden by scripts/avx2-only/run.sh (CPUID faulting)' : undefined;
}

export function machineFacts(): { cpu: string; cores: number; simd: string[]; cpuMask?: string; memoryGiB: number; node: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, simd: simdFlags(), cpuMask: cpuMask(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/**
 * bench/results/<name>.json, or <name>.avx2-only.json on an x86 CPU without VNNI (where int8 gets
 * 7-bit weights): int8 speed differs by ~2x between the two, and the README quotes both.
 */
export async function resultsFile(root: string, name: string): Promise<string> {
  const avx2Only = (await int8WeightBits()) === 7;
  return join(root, 'bench', 'results', `${name}${avx2Only ? '.avx2-only' : ''}.json`);
}
