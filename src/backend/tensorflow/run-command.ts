/** Runs the external tools `setup tensorflow` drives (python, pip, npm, node-gyp), line by line. */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { UserError } from '../../errors.ts';

/** How many of a failed command's last output lines its error repeats. */
const TAIL_LINES = 25;

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line the command writes (stdout and stderr). */
  onLine?: (line: string) => void;
}

/** Runs `command args`, resolving with its stdout; a non-zero exit throws a UserError ending in its last lines. */
export function runCommand(what: string, command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let stdout = '';
    const take = (line: string): void => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += line + '\n';
      take(line);
    });
    createInterface({ input: child.stderr }).on('line', take);
    child.on('error', (err) => reject(new UserError(`${what}: could not start ${command}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new UserError(`${what} failed (${command} exited with ${signal ?? code}); its last lines:\n${tail.join('\n')}`));
    });
  });
}

/** Whether `command args` starts and exits 0 (quietly; for prerequisite checks). */
export function succeeds(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}
