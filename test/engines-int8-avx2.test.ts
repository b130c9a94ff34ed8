// int8 on a CPU without VNNI, where onnxruntime's AVX2 kernels multiply u8 x s8 pairs into int16 and
// saturate with 8-bit weights. The AVX2-only CPU is this one with AVX-512/VNNI/AMX hidden by
// scripts/avx2-only/run.sh (CPUID faulting + a masked /proc/cpuinfo); where that is unavailable
// (no cpuid_fault flag, no C compiler, or no right to bind-mount) the test is skipped, not faked.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { int8Fixture } from './helpers/int8-fixture.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Whether run.sh works here: it needs the cpuid_fault flag, a C compiler and root for its mount namespace. */
function canHideAvx512(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  return spawnSync('bash', ['scripts/avx2-only/run.sh', 'true'], { cwd: ROOT, stdio: 'ignore' }).status === 0;
}

(canHideAvx512() ? test : test.skip)('without VNNI, int8 picks 7-bit weights and agrees with fp32 (cosine >= 0.999); 8-bit weights saturate there', async (t) => {
  const f = await int8Fixture(t);
  const { stdout } = await promisify(execFile)('bash', [
    'scripts/avx2-only/run.sh', process.execPath, '--import=tsx', '--import=./bin/register-dependency-hooks.mjs', 'test/helpers/int8-agreement-child.ts', f.dir,
  ], { cwd: ROOT, maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<'cpu' | 'bits7' | 'bits8', { weightBits: number; cosine: number; relativeError: number }> & { cpuWeightBits: number };
  t.log(JSON.stringify(r));
  t.is(r.cpuWeightBits, 7, 'the masked CPU should read as AVX2-only');
  t.is(r.cpu.weightBits, 7);
  t.true(r.cpu.cosine >= 0.999, `7-bit weights on AVX2 kernels: min cosine ${r.cpu.cosine}`);
  t.true(r.cpu.relativeError <= 0.05, `7-bit weights on AVX2 kernels: max relative error ${r.cpu.relativeError}`);
  t.is(r.bits7.cosine, r.cpu.cosine, 'the default is the forced 7-bit calibration');
  // Proof that the AVX2 kernels ran: on VNNI kernels 8-bit weights agree better than 7-bit ones.
  t.true(r.bits8.cosine < r.bits7.cosine, `8-bit weights should lose to 7-bit on AVX2 kernels (int16 saturation): ${r.bits8.cosine} vs ${r.bits7.cosine}`);
});
