// Unit and integration tests that need nothing outside the repository.
export default {
  files: ['test/**/*.test.ts', '!test/shared/**', '!test/keras/**', '!test/browser/**'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '10m',
};
