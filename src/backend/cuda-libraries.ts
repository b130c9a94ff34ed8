/**
 * The CUDA / cuDNN shared libraries a GPU TensorFlow loads. tfjs-node-gpu 4.22's own download is
 * libtensorflow 2.9, built against CUDA 11.2 and cuDNN 8, which dlopens exactly {@link CUDA_LIBRARIES};
 * checking first turns a cryptic dlopen failure into a list of what to install. An addon that
 * `setup tensorflow --gpu` built from the pip wheel uses CUDA 12 and cuDNN 9 from the nvidia-* pip
 * packages beside it ({@link PIP_CUDA_LIBRARIES}), and only the driver's libcuda.so.1 from the system.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/** What TensorFlow 2.20's GPU build dlopens from the nvidia-* pip packages. */
export const PIP_CUDA_LIBRARIES = [
  'libcudart.so.12',
  'libcublas.so.12',
  'libcublasLt.so.12',
  'libcufft.so.11',
  'libcusolver.so.11',
  'libcusparse.so.12',
  'libcudnn.so.9',
] as const;

/** The NVIDIA driver's library: without it TensorFlow finds no GPU and runs on the CPU. */
export const DRIVER_LIBRARY = 'libcuda.so.1';

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

/** Where the CUDA libraries of a pip-built GPU addon were found. */
export interface PipCudaLibraries {
  /** soname -> path, for the {@link PIP_CUDA_LIBRARIES} present in the wheel's nvidia-* packages. */
  found: Record<string, string>;
  missing: string[];
  /** Whether the dynamic loader can find the driver's libcuda.so.1 (no: TensorFlow runs on the CPU). */
  driver: boolean;
}

/** The CUDA libraries beside a pip TensorFlow (`libraryDir` is its `tensorflow` folder: nvidia/ is a sibling). */
export function pipCudaLibraries(libraryDir: string, env: NodeJS.ProcessEnv = process.env): PipCudaLibraries {
  const nvidia = join(dirname(libraryDir), 'nvidia');
  const dirs = existsSync(nvidia) ? readdirSync(nvidia).map((p) => join(nvidia, p, 'lib')) : [];
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const lib of PIP_CUDA_LIBRARIES) {
    const dir = dirs.find((d) => existsSync(join(d, lib)));
    if (dir === undefined) missing.push(lib);
    else found[lib] = join(dir, lib);
  }
  const driver = loaderCache().has(DRIVER_LIBRARY) || extraLibraryDirs(env).some((d) => existsSync(join(d, DRIVER_LIBRARY)));
  return { found, missing, driver };
}
