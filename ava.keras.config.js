// Tests against real Keras (scripts/oracle/.venv, made by `npm run oracle:setup`).
import base from './ava.config.js';

export default { ...base, files: ['test/keras/**/*.test.ts'] };
