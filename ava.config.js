// Unit and integration tests that need nothing outside the repository.
export default {
  files: ['test/**/*.test.ts', '!test/shared/**', '!test/keras/**', '!test/browser/**'],
  extensions: { ts: 'module' },
  // The hooks keep tsx away from plain-JS dependencies (hundreds of MB per process otherwise).
  nodeArguments: ['--import=tsx', '--import=./bin/register-dependency-hooks.mjs'],
  workerThreads: false,
  timeout: '10m',
};
