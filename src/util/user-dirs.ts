/**
 * Where transferkit keeps what outlives one run: downloaded weights and the feature cache. A user
 * cache folder, never the package's own folder (that is node_modules/transferkit once installed).
 * Read on every call, so a process (or test) that sets the variables later is honoured.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `TRANSFERKIT_HOME`, else `$XDG_CACHE_HOME/transferkit`, else `~/.cache/transferkit`. */
export function transferkitHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRANSFERKIT_HOME) return env.TRANSFERKIT_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'transferkit');
}

/** Weights and the ImageNet class index: `TRANSFERKIT_MODELS_DIR`, else `<home>/models`. */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRANSFERKIT_MODELS_DIR || join(transferkitHome(env), 'models');
}

/** The bottleneck feature cache: `<home>/features`. */
export function featureCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(transferkitHome(env), 'features');
}

/** Where Keras keeps the files it downloaded (`$KERAS_HOME/models`, default `~/.keras/models`); only read. */
export function kerasModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.KERAS_HOME || join(homedir(), '.keras'), 'models');
}
