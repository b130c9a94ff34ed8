import { readFileSync } from 'node:fs';

/** transferkit's package.json, one folder above src/ and dist/ alike. */
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  optionalDependencies?: Record<string, string>;
};

/** transferkit's own version. */
export const TRANSFERKIT_VERSION: string = manifest.version;

/** The version transferkit pins for an optional dependency (for install hints); undefined if none. */
export function optionalDependencyVersion(name: string): string | undefined {
  return manifest.optionalDependencies?.[name];
}
