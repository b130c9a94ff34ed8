/**
 * Compiles tfjs-node's own binding sources (binding/*.cc ship in its npm package) with node-gyp
 * against the libtensorflow_cc.so.2 and headers inside a pip TensorFlow wheel. That library exports
 * the whole C and eager C API (TF_*, TFE_*) the binding calls. The addon's RUNPATH names the wheel's
 * folder, so it loads with no LD_LIBRARY_PATH; the GPU wheel's libtensorflow_framework.so.2 finds
 * the nvidia-* pip packages' CUDA libraries through its own RUNPATH ($ORIGIN/../nvidia/*).
 */
import { existsSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../errors.ts';
import { runCommand } from './run-command.ts';
import { npmCommand } from './npm-package.ts';

export interface AddonBuildInput {
  /** The installed tfjs-node(-gpu) package folder. */
  packageDir: string;
  /** The wheel's `tensorflow` folder (libtensorflow_cc.so.2, libtensorflow_framework.so.2, include/). */
  tensorflowDir: string;
  /** An empty scratch folder for the build. */
  buildDir: string;
  /** N-API version the addon targets (the napi-vN in its install path). */
  napiVersion: string;
  onLine?: (line: string) => void;
}

/** The libraries the addon links, inside the wheel's tensorflow folder. */
export const TENSORFLOW_LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'] as const;

function bindingGyp(tensorflowDir: string, napiVersion: string): string {
  const target = {
    target_name: 'tfjs_binding',
    sources: ['binding/tfjs_backend.cc', 'binding/tfjs_binding.cc'],
    include_dirs: ['binding', join(tensorflowDir, 'include')],
    libraries: [...TENSORFLOW_LIBRARIES.map((lib) => join(tensorflowDir, lib)), `-Wl,-rpath,${tensorflowDir}`],
    defines: [`NAPI_VERSION=${napiVersion}`],
  };
  return JSON.stringify({ targets: [target] }, null, 2);
}

/**
 * node-gyp: the copy bundled with npm (what `npm rebuild` uses; no extra dependency), else
 * `npx node-gyp`. Node's own headers are used when this Node ships them, saving a download.
 */
function nodeGyp(): { command: string; args: string[] } {
  const nodeDir = join(dirname(process.execPath), '..');
  const headers = existsSync(join(nodeDir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodeDir}`] : [];
  const bundled = process.env.npm_config_node_gyp ?? join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return { command: process.execPath, args: [bundled, 'rebuild', ...headers] };
  const npm = npmCommand();
  return { command: npm.command, args: [...npm.prefixArgs, 'exec', '--yes', '--', 'node-gyp', 'rebuild', ...headers] };
}

/** Builds the addon; returns the path of the built `tfjs_binding.node`. */
export async function buildAddon(input: AddonBuildInput): Promise<string> {
  for (const lib of TENSORFLOW_LIBRARIES) {
    if (!existsSync(join(input.tensorflowDir, lib))) {
      throw new UserError(`${join(input.tensorflowDir, lib)} is missing: this TensorFlow wheel does not ship the C library the addon links (use a 2.x wheel from 2.14 on, e.g. --tensorflow 2.20.0)`);
    }
  }
  // gyp's make generator wants sources below the .gyp file, so the binding sources are copied in.
  await cp(join(input.packageDir, 'binding'), join(input.buildDir, 'binding'), { recursive: true });
  await writeFile(join(input.buildDir, 'binding.gyp'), bindingGyp(input.tensorflowDir, input.napiVersion));
  const { command, args } = nodeGyp();
  await runCommand('building the tfjs-node addon with node-gyp', command, args, { cwd: input.buildDir, onLine: input.onLine });
  return join(input.buildDir, 'build', 'Release', 'tfjs_binding.node');
}
