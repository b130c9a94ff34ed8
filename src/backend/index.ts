/**
 * Choose and initialise the tfjs backend: tfjs-node-gpu, tfjs-node, wasm, cpu — the first that
 * loads wins, unless `--backend` / TRANSFERKIT_BACKEND name one. On wasm our conv-gradient kernels
 * are registered so training works through conv layers. Import tf as `import * as tf from
 * '@tensorflow/tfjs'` and call {@link initBackend} before using it.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UsageError, UserError } from '../errors.ts';
import { activateCandidate, BACKEND_NAMES, CANDIDATES, loadCandidate, type BackendCandidate, type BackendName, type LoadResult, type NativeOrigin } from './candidates.ts';
import { withoutAddedCrashHandlers } from './process-handlers.ts';
import { WASM_CUSTOM_KERNELS } from './wasm-kernels.ts';

export { BACKEND_NAMES, type BackendName, type NativeOrigin } from './candidates.ts';

/** A backend request: a name, or `auto` for the first that loads. */
export type BackendPreference = BackendName | 'auto';

/** The environment variable that selects a backend when no argument / `--backend` does. */
export const BACKEND_ENV = 'TRANSFERKIT_BACKEND';

/** The backend in use after {@link initBackend}. */
export interface BackendInfo {
  name: BackendName;
  /** What was asked for (argument, else TRANSFERKIT_BACKEND, else `auto`). */
  requested: BackendPreference;
  /** tfjs kernels transferkit added or replaced on this backend. */
  customKernels: string[];
}

/** One candidate backend as `doctor` shows it. */
export interface BackendStatus {
  name: BackendName;
  packageName: string | null;
  /** Installed package version (cpu: the tfjs version); null when not installed. */
  version: string | null;
  /**
   * `active`: in use. `available`: its package loads (wasm is only initialised when it is
   * chosen; cpu always works). `not-tried`: a backend earlier in the chain
   * (or an explicit choice) was taken, so it was not loaded.
   */
  status: 'active' | 'available' | 'unavailable' | 'not-tried';
  /** Why it is unavailable (or not tried). */
  reason?: string;
  /** Native backends whose addon is present: built from a pip wheel by `setup tensorflow`, or tfjs-node's official download. */
  origin?: NativeOrigin;
}

/** Every candidate's status, in fallback order, plus the active backend. */
export interface BackendReport {
  active: BackendName | null;
  requested: BackendPreference | null;
  candidates: BackendStatus[];
}

/** A backend name from the user (`--backend`, TRANSFERKIT_BACKEND, options): auto or one of BACKEND_NAMES. */
export const backendPreferenceSchema = z.enum(['auto', ...BACKEND_NAMES]);

/** Validates a backend name from the user; `from` names where it came from for the message. */
export function parseBackendPreference(value: string, from: string): BackendPreference {
  const parsed = backendPreferenceSchema.safeParse(value.trim().toLowerCase());
  if (!parsed.success) {
    throw new UsageError(`unknown backend "${value}" (from ${from}); expected one of: ${backendPreferenceSchema.options.join(', ')}`);
  }
  return parsed.data;
}

/** Outcomes of loading each candidate; a package load is attempted at most once per process. */
const loads = new Map<BackendName, Promise<LoadResult>>();
/** Failures activating a loaded backend (e.g. wasm binary missing). */
const activationFailures = new Map<BackendName, string>();
let current: BackendInfo | null = null;
/** Serialises concurrent initBackend calls: backend switching is global to the process. */
let queue: Promise<unknown> = Promise.resolve();

function load(candidate: BackendCandidate): Promise<LoadResult> {
  let result = loads.get(candidate.name);
  if (result === undefined) {
    result = loadCandidate(candidate);
    loads.set(candidate.name, result);
  }
  return result;
}

/** Loads and activates one candidate; returns why it cannot be used, or null on success. */
async function tryCandidate(candidate: BackendCandidate): Promise<string | null> {
  const loaded = await load(candidate);
  if (!loaded.ok) return loaded.reason;
  const failure = activationFailures.get(candidate.name) ?? (await withoutAddedCrashHandlers(() => activateCandidate(candidate)));
  if (failure !== null) activationFailures.set(candidate.name, failure);
  return failure;
}

function resolvePreference(preference: BackendPreference | undefined): BackendPreference {
  if (preference !== undefined) return parseBackendPreference(preference, 'the backend option');
  const fromEnv = process.env[BACKEND_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseBackendPreference(fromEnv, BACKEND_ENV);
  return 'auto';
}

async function initialise(requested: BackendPreference): Promise<BackendInfo> {
  const chosen = requested === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === requested);
  for (const candidate of chosen) {
    const failure = await tryCandidate(candidate);
    if (failure !== null) {
      if (requested === 'auto') continue;
      throw new UserError(`backend "${requested}" is not available: ${failure}. Install it, or pick another with --backend / ${BACKEND_ENV} (auto, ${BACKEND_NAMES.join(', ')})`);
    }
    current = { name: candidate.name, requested, customKernels: candidate.name === 'wasm' ? [...WASM_CUSTOM_KERNELS] : [] };
    return current;
  }
  // cpu ships inside @tensorflow/tfjs, so reaching this means tfjs itself is broken.
  throw new Error('no tfjs backend could be initialised, not even cpu');
}

/**
 * Initialises the tfjs backend (idempotent: a repeated call with the same request returns the
 * backend already chosen). `preference` overrides TRANSFERKIT_BACKEND; default `auto`. Throws a
 * UserError for an unknown name or an explicitly requested backend that cannot load.
 */
export function initBackend(preference?: BackendPreference): Promise<BackendInfo> {
  const run = async (): Promise<BackendInfo> => {
    const requested = resolvePreference(preference);
    const active = current;
    if (active !== null && active.requested === requested && tf.getBackend() === tfNameOf(active.name)) return active;
    return initialise(requested);
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

function tfNameOf(name: BackendName): string {
  return CANDIDATES.find((c) => c.name === name)?.tfName ?? name;
}

function notTriedReason(): string {
  if (current === null) return 'no backend initialised yet';
  return current.requested === 'auto' ? `"${current.name}" comes earlier in the chain and loaded` : `"${current.requested}" was requested`;
}

/** Where each candidate stands. Pass `probeAll` to load candidates not tried yet (doctor does). */
export async function backendReport(options: { probeAll?: boolean } = {}): Promise<BackendReport> {
  const { probeAll = false } = options;
  const candidates: BackendStatus[] = [];
  for (const candidate of CANDIDATES) {
    const base = { name: candidate.name, packageName: candidate.packageName };
    const pending = loads.get(candidate.name) ?? (probeAll ? load(candidate) : undefined);
    const loaded = await pending;
    const origin = loaded?.origin === undefined ? {} : { origin: loaded.origin };
    if (current?.name === candidate.name) {
      candidates.push({ ...base, version: loaded?.version ?? null, status: 'active', ...origin });
    } else if (loaded === undefined) {
      candidates.push({ ...base, version: null, status: 'not-tried', reason: notTriedReason() });
    } else {
      const failure = loaded.ok ? activationFailures.get(candidate.name) : loaded.reason;
      candidates.push(failure === undefined
        ? { ...base, version: loaded.version, status: 'available', ...origin }
        : { ...base, version: loaded.version, status: 'unavailable', reason: failure, ...origin });
    }
  }
  return { active: current?.name ?? null, requested: current?.requested ?? null, candidates };
}
