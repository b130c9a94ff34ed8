/**
 * What building the TensorFlow addon needs from the system: a Python that can make a venv with pip,
 * make, and a C++ compiler. Each missing one becomes one line saying how to get it.
 */
import { succeeds } from './run-command.ts';

/** Debian and Ubuntu ship venv's pip bootstrap (ensurepip) as a separate package; check it too. */
const VENV_CHECK = 'import venv, ensurepip';

/** Lines naming each missing prerequisite and how to install it; empty when all are present. */
export function missingPrerequisites(python: string): string[] {
  const missing: string[] = [];
  if (!succeeds(python, ['--version'])) {
    missing.push(`${python} not found: install Python 3.9-3.13 (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python), or pass --python PATH`);
  } else if (!succeeds(python, ['-c', VENV_CHECK])) {
    missing.push(`${python} cannot create a venv with pip (no venv/ensurepip module): Debian/Ubuntu: apt-get install python3-venv`);
  }
  if (!succeeds('make', ['--version'])) missing.push('make not found: Debian/Ubuntu: apt-get install make; macOS: xcode-select --install');
  if (!succeeds(process.env.CXX ?? 'g++', ['--version'])) {
    missing.push(`C++ compiler ${process.env.CXX ?? 'g++'} not found: Debian/Ubuntu: apt-get install g++; macOS: xcode-select --install (or set CXX)`);
  }
  return missing;
}
