// The run report checked in a real browser: needs Chromium at /usr/bin/chromium (`.ci/run` installs it).
import base from './ava.config.js';

export default { ...base, files: ['test/browser/**/*.test.ts'] };
