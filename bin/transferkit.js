#!/usr/bin/env node
// The package runs the compiled CLI in dist/. A clone, where src/ sits beside this folder, runs the
// TypeScript itself through tsx (a devDependency), so development never runs a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./register-dependency-hooks.mjs');
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
