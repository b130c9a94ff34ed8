/** Facts of the machine a benchmark ran on, recorded with every figure (compare only figures of one machine). */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

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

export function machineFacts(): { cpu: string; cores: number; simd: string[]; memoryGiB: number; node: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, simd: simdFlags(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}
