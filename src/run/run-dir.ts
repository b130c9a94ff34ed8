import { access, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { UserError } from '../errors.ts';
import { writeFileAtomic, writeJson } from '../util/atomic.ts';
import { RUN_DIR_FILES, RUN_FILES, type RunFile } from './files.ts';
import { RUN_JSON, type EpochLogs, type RunJson, type RunJsonFile } from './schemas.ts';

const HISTORY_COLUMNS = ['epoch', 'phase', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'] as const;

const missing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * A run directory's files: written atomically, JSON read back validated against its schema (a
 * missing or malformed file is a UserError naming the file, and the field).
 */
export class RunDir {
  constructor(readonly dir: string) {}

  /** The path of one of the run's files. */
  path(file: RunFile): string {
    return join(this.dir, RUN_DIR_FILES[file]);
  }

  has(file: RunFile): Promise<boolean> {
    return access(this.path(file)).then(() => true, () => false);
  }

  /** A JSON file, validated; a UserError when it is missing or not what `train`/`evaluate` write. */
  async read<K extends RunJsonFile>(file: K): Promise<RunJson<K>> {
    const found = await this.readIfPresent(file);
    if (found === undefined) throw this.invalid(file, 'not found');
    return found;
  }

  /** A JSON file, validated, or undefined when the run has none (yet). */
  async readIfPresent<K extends RunJsonFile>(file: K): Promise<RunJson<K> | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(this.path(file), 'utf8'));
    } catch (err) {
      if (missing(err)) return undefined;
      throw this.invalid(file, (err as Error).message);
    }
    const schema: z.ZodType = RUN_JSON[file].schema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : 'value'}: ${i.message}`).join('; ');
      throw this.invalid(file, `invalid (${issues})`);
    }
    // The schema is RUN_JSON[file]'s, whose output RunJson<K> names (TypeScript does not follow K through the table).
    return parsed.data as RunJson<K>;
  }

  /** Write a JSON file atomically. */
  write<K extends RunJsonFile>(file: K, value: RunJson<K>): Promise<void> {
    return writeJson(this.path(file), value);
  }

  /** history.json and history.csv (Keras CSVLogger columns), both atomic. */
  async writeHistory(history: readonly EpochLogs[]): Promise<void> {
    const csv = [HISTORY_COLUMNS.join(','), ...history.map((h) => HISTORY_COLUMNS.map((c) => String(h[c])).join(','))].join('\n') + '\n';
    await this.write('history', [...history]);
    await writeFileAtomic(this.path('historyCsv'), csv);
  }

  /**
   * Remove a run that holds nothing worth keeping (no trained weights): the files `train` writes,
   * then the folder when that leaves it empty (anything else in it stays).
   */
  async discard(): Promise<void> {
    await Promise.all(Object.values(RUN_FILES).map((f) => rm(join(this.dir, f), { force: true })));
    await rmdir(this.dir).catch(() => undefined);
  }

  private invalid(file: RunJsonFile, reason: string): UserError {
    const { what, writer } = RUN_JSON[file];
    const hint = reason === 'not found' ? ' Pass a run directory (e.g. runs/NAME).' : '';
    return new UserError(`${this.path(file)}: ${reason}; expected the ${what} a \`${writer}\` run writes.${hint}`);
  }
}
