import type { Dataset, File, Group } from 'h5wasm/node';

export type { Dataset, File, Group };

type H5wasm = typeof import('h5wasm/node');
/** Imported on first use: instantiating h5wasm costs ~600 MB of RSS, which a refused .keras never needs. */
let loaded: Promise<H5wasm> | undefined;
let module: H5wasm | undefined;

/**
 * The initialised h5wasm module. HDF5's default error handler prints a multi-line HDF5-DIAG trace
 * to stderr and leaves h5wasm throwing a meaningless "name not defined"; the throwing handler makes
 * every HDF5 failure a JS Error whose message is that trace, so callers can reduce it to one line.
 */
export async function loadH5(): Promise<H5wasm['default']> {
  loaded ??= import('h5wasm/node').then(async (m) => {
    (await m.default.ready).activate_throwing_error_handler();
    return (module = m);
  });
  return (await loaded).default;
}

/** The loaded module (for code that runs only on files opened after `loadH5`). */
export function h5(): H5wasm {
  if (!module) throw new Error('h5wasm used before loadH5()');
  return module;
}

/** One line: the innermost HDF5 reason of an h5wasm error (`truncated file: eof = 10000, ...`), else the first line. */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/ in [\w:]+\(\): (.+)$/gm)].map((m) => m[1]?.trim());
  return frames.at(-1) ?? (text.split('\n')[0] ?? '').trim();
}

/** True when `entry` is an HDF5 group (h5wasm returns several entity kinds from `get`). */
export function isGroup(entry: unknown): entry is Group {
  return entry instanceof h5().default.Group;
}

/** True when `entry` is an HDF5 dataset. */
export function isDataset(entry: unknown): entry is Dataset {
  return entry instanceof h5().default.Dataset;
}

/**
 * A child group, created when missing. h5wasm does not create intermediate groups for a path with
 * `/`, so nested weight names (`block1_conv1/kernel:0`) are built one level at a time.
 */
export function ensureGroup(parent: Group, name: string): Group {
  let group = parent;
  for (const part of name.split('/').filter(Boolean)) {
    const existing = group.get(part);
    group = isGroup(existing) ? existing : group.create_group(part);
  }
  return group;
}

/**
 * Run synchronous h5wasm work with stderr muted. On some corrupt files the HDF5 library aborts;
 * emscripten then prints `Aborted(...)` to stderr before throwing, which would break the CLI's
 * one-line error. The throw still happens and carries the same text, so nothing is lost.
 */
export function muteStderr<T>(work: () => T): T {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return work();
  } finally {
    process.stderr.write = write;
  }
}
