/** What is installed, found the way Node would find it, without loading the package. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The package.json of installed package `name`, or null when it is not installed. Searches Node's
 * lookup folders directly, since some packages' `exports` hide their package.json.
 */
export function packageJsonPath(name: string): string | null {
  for (const dir of require.resolve.paths(name) ?? []) {
    const manifest = join(dir, name, 'package.json');
    if (existsSync(manifest)) return manifest;
  }
  return null;
}

/** The installed version of package `name`, or null when it is not installed. */
export function installedVersion(name: string): string | null {
  const manifest = packageJsonPath(name);
  return manifest === null ? null : ((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? null);
}

/** The first line of an error's message: native loaders put whole search paths after it. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown error';
}
