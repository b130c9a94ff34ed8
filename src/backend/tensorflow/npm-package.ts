/**
 * Puts tfjs-node(-gpu) into node_modules when npm left it out. It is an optional dependency whose
 * install script downloads libtensorflow 2.9 from storage.googleapis.com; when that download fails
 * (offline, proxies, no prebuilt addon for this Node), the script exits 1 and npm deletes the whole
 * package as a failed optional dependency. Installing it with --ignore-scripts keeps the package
 * (its JavaScript and binding sources) without that download; we build the addon ourselves.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { installedVersion } from '../installed-packages.ts';
import { runCommand } from './run-command.ts';

/** npm's CLI script beside this Node (the usual layout), else `npm` from PATH. */
export function npmCommand(): { command: string; prefixArgs: string[] } {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(cli) ? { command: process.execPath, prefixArgs: [cli] } : { command: 'npm', prefixArgs: [] };
}

/**
 * The folder whose node_modules holds the @tensorflow/tfjs transferkit uses: tfjs-node must be
 * installed there so that its own `require('@tensorflow/tfjs')` registers with the same copy.
 */
export function projectRoot(): string {
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs');
  const marker = `${join('node_modules', '@tensorflow', 'tfjs')}`;
  return entry.slice(0, entry.lastIndexOf(marker)).replace(/[\\/]$/, '');
}

/** Installs `packageName` at the tfjs version in use unless that version is already there; returns whether it installed. */
export async function ensureTfjsNodePackage(packageName: string, onLine?: (line: string) => void): Promise<boolean> {
  if (installedVersion(packageName) === tf.version_core) return false;
  const { command, prefixArgs } = npmCommand();
  const args = [...prefixArgs, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${packageName}@${tf.version_core}`];
  await runCommand(`npm install ${packageName}@${tf.version_core}`, command, args, { cwd: projectRoot(), onLine });
  return true;
}
