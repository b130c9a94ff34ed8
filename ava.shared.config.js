// Tests that read the real files in ../shared (datasets, photos, Keras-written HDF5).
import base from './ava.config.js';

export default { ...base, files: ['test/shared/**/*.test.ts'] };
