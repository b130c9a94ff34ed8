/**
 * Which of the CUDA / cuDNN shared libraries tfjs-node-gpu 4.22 needs are missing. It bundles
 * libtensorflow 2.9, built against CUDA 11.2 and cuDNN 8, which dlopens exactly these sonames;
 * checking first turns a cryptic dlopen failure into a list of what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Sonames libtensorflow 2.9 (GPU) loads: the NVIDIA driver, the CUDA 11 runtime and maths libraries, cuDNN 8. */
export const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
] as const;

/** Folders the dynamic loader searches besides its cache, plus the usual CUDA toolkit location. */
function extraLibraryDirs(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  return [...fromEnv, '/usr/local/cuda/lib64', '/usr/local/cuda-11/lib64'];
}

/** Sonames in the dynamic loader's cache (`ldconfig -p`); empty when ldconfig is unavailable. */
function loaderCache(): Set<string> {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return new Set(out.split('\n').map((line) => line.trim().split(' ')[0] ?? '').filter((s) => s !== ''));
    } catch {
      // Try the next location: ldconfig is often outside a non-root PATH.
    }
  }
  return new Set();
}

/** The entries of {@link CUDA_LIBRARIES} the dynamic loader cannot find (Linux only; elsewhere null). */
export function missingCudaLibraries(env: NodeJS.ProcessEnv = process.env): string[] | null {
  if (process.platform !== 'linux') return null;
  const cached = loaderCache();
  const dirs = extraLibraryDirs(env);
  return CUDA_LIBRARIES.filter((lib) => !cached.has(lib) && !dirs.some((d) => existsSync(join(d, lib))));
}
