import { readFileSync } from 'node:fs';

/** transferkit's own version, from its package.json (one folder above src/ and dist/ alike). */
export const TRANSFERKIT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
