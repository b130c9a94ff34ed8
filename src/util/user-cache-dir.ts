/**
 * Where transferkit keeps what it downloads or builds for the user (weights, the TensorFlow venv):
 * `$TRANSFERKIT_HOME`, else `$XDG_CACHE_HOME/transferkit`, else `~/.cache/transferkit`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Names the whole folder; wins over XDG_CACHE_HOME. */
export const TRANSFERKIT_HOME_ENV = 'TRANSFERKIT_HOME';

/** The user cache folder (not created here). */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env[TRANSFERKIT_HOME_ENV]?.trim();
  if (home) return resolve(home);
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'transferkit');
}
