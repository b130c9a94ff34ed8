// The native TensorFlow backend against wasm: needs `npx transferkit setup tensorflow` (`.ci/run` runs it).
import base from './ava.config.js';

export default { ...base, files: ['test/tensorflow/**/*.test.ts'] };
