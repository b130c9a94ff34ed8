// The packed npm package installed into a fresh app, as a user gets it (slow: npm pack + npm install).
import base from './ava.config.js';

export default { ...base, files: ['test/package/**/*.test.ts'], timeout: '20m' };
