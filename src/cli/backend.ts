import type { Command } from 'commander';
import { initBackend, parseBackendPreference, type BackendInfo, type BackendPreference } from '../backend/index.ts';

/** The global `--backend` flag, validated (a UsageError names it); undefined when not given. */
export function backendFromCli(cmd: Command): BackendPreference | undefined {
  const backend = (cmd.optsWithGlobals() as { backend?: string }).backend;
  return backend === undefined ? undefined : parseBackendPreference(backend, '--backend');
}

/** {@link initBackend} honouring the CLI's global `--backend` option (then TRANSFERKIT_BACKEND). */
export function initBackendFromCli(cmd: Command): Promise<BackendInfo> {
  return initBackend(backendFromCli(cmd));
}
