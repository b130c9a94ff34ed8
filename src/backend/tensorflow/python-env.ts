/** The private Python venv holding the TensorFlow wheel the addon links against. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';
import type { VariantSpec } from './variants.ts';

export function venvPython(venv: string): string {
  return process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
}

/** Creates the venv with `python` unless it already exists; returns whether it created one. */
export async function ensureVenv(venv: string, python: string, onLine?: (line: string) => void): Promise<boolean> {
  if (existsSync(venvPython(venv))) return false;
  await runCommand(`creating the venv ${venv}`, python, ['-m', 'venv', venv], { onLine });
  return true;
}

/**
 * The installed version of pip distribution `name` in the venv, or null. Reads package metadata
 * only: importing tensorflow would take seconds.
 */
export async function installedDistribution(venv: string, name: string): Promise<string | null> {
  const script = 'import sys, importlib.metadata as m\ntry: print(m.version(sys.argv[1]))\nexcept m.PackageNotFoundError: pass';
  const out = await runCommand(`reading ${name}'s version in ${venv}`, venvPython(venv), ['-c', script, name]);
  return out.trim() || null;
}

/** pip-installs the variant's pinned wheel (pip reuses its cache, so a wheel the oracle fetched is not downloaded again). */
export async function installTensorflow(venv: string, spec: VariantSpec, version: string, onLine?: (line: string) => void): Promise<void> {
  const requirement = `${spec.pipPackage}${spec.pipExtras}==${version}`;
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', ...(spec.withDependencies ? [] : ['--no-deps']), requirement];
  await runCommand(`pip install ${requirement}`, venvPython(venv), args, { onLine });
}

/** The installed wheel's `tensorflow` package folder: libtensorflow_cc.so.2 and include/. */
export async function tensorflowDir(venv: string): Promise<string> {
  const script = 'import sysconfig; print(sysconfig.get_paths()["platlib"])';
  const platlib = (await runCommand(`locating site-packages in ${venv}`, venvPython(venv), ['-c', script])).trim();
  return join(platlib, 'tensorflow');
}
