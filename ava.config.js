import { fileURLToPath } from 'node:url';

// Unit and integration tests that need nothing outside the repository.
export default {
  files: ['test/**/*.test.ts', '!test/shared/**', '!test/keras/**', '!test/browser/**', '!test/package/**', '!test/tensorflow/**'],
  extensions: { ts: 'module' },
  // The hooks keep tsx away from plain-JS dependencies (hundreds of MB per process otherwise).
  nodeArguments: ['--import=tsx', '--import=./bin/register-dependency-hooks.mjs'],
  // Default weights and feature cache (and those of every CLI a test starts) go to a git-ignored
  // folder here, never to the user's ~/.cache/transferkit.
  environmentVariables: { TRANSFERKIT_HOME: fileURLToPath(new URL('./.cache/test-home', import.meta.url)) },
  workerThreads: false,
  timeout: '10m',
};
