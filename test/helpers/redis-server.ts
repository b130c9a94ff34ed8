/**
 * A throwaway Debian `redis-server` on a free 127.0.0.1 port, in memory only (no RDB/AOF files),
 * for the queue test and bench. `stop()` ends it; so does the process exiting.
 */
import { spawn } from 'node:child_process';
import { freePort } from './free-port.ts';

export interface LocalRedis {
  /** The redis-server process (the bench counts its CPU time). */
  pid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

export async function startRedis(bin = 'redis-server'): Promise<LocalRedis> {
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin} (${err.message}); install it: apt-get install -y redis-server`));
    });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    pid: child.pid!,
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      process.off('exit', kill);
      child.kill('SIGTERM');
      await exited;
    },
  };
}
