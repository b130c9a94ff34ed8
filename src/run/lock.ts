/**
 * One process owns a run directory: `.lock` holds its pid, created exclusively. A lock whose pid is
 * no longer alive (a killed run) is taken over with a message. Holding the lock, the owner removes
 * stale temp files (`.name.<pid>.<hex>.tmp` from atomic writes interrupted by kill -9).
 */
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

const LOCK = '.lock';

export interface ClaimOptions {
  /** Replace whatever the folder holds (`--overwrite`). Default: false. */
  overwrite?: boolean;
  /** The folder holds the run being continued (`--resume`): keep its files. Default: false. */
  resume?: boolean;
  /** Where the stale-lock message goes. */
  log: (line: string) => void;
}

export interface RunDirLock {
  readonly dir: string;
  /** Give the folder up; `failed` also removes a folder this run created when nothing else was written. */
  release(failed?: boolean): Promise<void>;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx');
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function acquire(dir: string, log: (line: string) => void): Promise<void> {
  const lockPath = join(dir, LOCK);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(lockPath)) return;
    const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && processAlive(pid)) {
      throw new UserError(`run directory ${dir} is in use by process ${pid} (${lockPath}); wait for it to finish or choose another --out.`);
    }
    // Renaming moves the stale lock aside exactly once, however many processes race for it; a lock
    // that a racing process created meanwhile (another pid inside) is put back.
    const aside = `${lockPath}.stale.${process.pid}`;
    if (!(await rename(lockPath, aside).then(() => true, () => false))) continue;
    const movedPid = Number.parseInt(await readFile(aside, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(movedPid) && movedPid !== pid) {
      await rename(aside, lockPath);
      continue;
    }
    await rm(aside, { force: true });
    log(`run directory ${dir}: taking over the lock of process ${Number.isInteger(pid) ? pid : '?'}, which is no longer running`);
  }
  throw new UserError(`run directory ${dir}: could not take its lock ${lockPath}; remove it if no transferkit process uses the folder.`);
}

const isTemp = (name: string): boolean => /^\..+\.\d+\.[0-9a-f]+\.tmp$/.test(name);

/** Remove temp files and folders left by interrupted atomic writes, in `dir` and one level down. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (isTemp(entry.name)) await rm(path, { recursive: true, force: true });
    else if (entry.isDirectory()) for (const inner of await readdir(path)) if (isTemp(inner)) await rm(join(path, inner), { recursive: true, force: true });
  }
}

/**
 * Own `dir` for one run: create it, lock it, clean stale temps. A folder holding anything else is
 * refused unless `overwrite` (its contents are removed) or `resume`.
 */
export async function claimRunDir(dir: string, options: ClaimOptions): Promise<RunDirLock> {
  const created = (await mkdir(dir, { recursive: true })) !== undefined;
  await acquire(dir, options.log);
  const release = async (failed = false): Promise<void> => {
    await rm(join(dir, LOCK), { force: true });
    if (failed && created) await rmdir(dir).catch(() => undefined); // only when empty
  };
  try {
    await removeStaleTemps(dir);
    const others = (await readdir(dir)).filter((n) => n !== LOCK);
    if (others.length > 0 && !options.resume) {
      if (!options.overwrite) {
        throw new UserError(`run directory ${dir} is not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}); pass --overwrite to replace it, --resume ${dir} to continue it, or choose another --out.`);
      }
      for (const name of others) await rm(join(dir, name), { recursive: true, force: true });
    }
  } catch (err) {
    await rm(join(dir, LOCK), { force: true });
    if (created) await rmdir(dir).catch(() => undefined);
    throw err;
  }
  return { dir, release };
}
