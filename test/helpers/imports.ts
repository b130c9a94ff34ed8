import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Every module specifier a TypeScript source names: static imports and re-exports (type-only ones
 * included), side-effect imports, dynamic `import()` and `require()`. Conservative on purpose: a
 * specifier in a comment or string that merely looks like an import counts too.
 */
export function importedSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]!));
}

/** The `.ts` files under `dir`, as paths relative to `root` with `/` separators. */
export async function sourceFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Each file's imports, read from disk. */
export async function importsOf(root: string, files: readonly string[]): Promise<Map<string, string[]>> {
  return new Map(await Promise.all(files.map(async (f) => [f, importedSpecifiers(await readFile(join(root, f), 'utf8'))] as const)));
}

/** The library's files: every `.ts` file under src/ outside src/cli/ (the CLI owns the terminal). */
export async function libraryFiles(root: string): Promise<string[]> {
  return (await sourceFiles(root, 'src')).filter((path) => !path.startsWith('src/cli/'));
}
