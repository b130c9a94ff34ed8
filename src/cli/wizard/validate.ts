import { readdir, stat } from 'node:fs/promises';
import { checkDataset, type CheckReport } from '../../data/check.ts';
import { describeError } from '../../errors.ts';
import { readKerasFile } from '../../keras/index.ts';
import { trainOptionsSchema } from '../../training/options.ts';

/**
 * inquirer `validate` functions: `true`, or the reason the answer is re-asked. The rules are the
 * library's own (checkDataset, the train options schema, the Keras reader), not the wizard's.
 */
export type Validation = true | string;

/** Checks data folders as training will scan them, and remembers each report for the summary. */
export class DataDirValidator {
  private readonly reports = new Map<string, CheckReport>();

  constructor(private readonly scan: { valSplit: number; seed: number }) {}

  readonly validate = async (dir: string): Promise<Validation> => {
    if (dir.trim() === '') return 'type the path of a folder with one sub-folder per class';
    const report = await checkDataset(dir, this.scan);
    this.reports.set(dir, report);
    return report.usable ? true : `${dir}: ${report.error ?? 'not usable'}`;
  };

  /** The report of a folder `validate` accepted. */
  report(dir: string): CheckReport {
    const report = this.reports.get(dir);
    if (!report) throw new Error(`DataDirValidator: ${dir} was not validated`);
    return report;
  }
}

/** Train options the wizard asks for as numbers. */
export type NumericOption = 'epochs' | 'batchSize' | 'lr' | 'inputSize';

/** Validate a typed number against the train option's own schema (same limits as the flag). */
export function validateNumber(option: NumericOption, flag: string): (raw: string) => Validation {
  return (raw) => {
    const value = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(value)) return `${flag}: "${raw}" is not a number`;
    const parsed = trainOptionsSchema.shape[option].safeParse(value);
    return parsed.success ? true : `${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${raw.trim()})`;
  };
}

/** A weights file must exist and read as Keras HDF5. */
export async function validateWeightsFile(path: string): Promise<Validation> {
  if (path.trim() === '') return 'type the path of a VGG16 Keras weights file (.h5)';
  try {
    await readKerasFile(path);
    return true;
  } catch (err) {
    return describeError(err);
  }
}

/** A run directory must be new (or an empty folder), so runs never mix. */
export async function validateOutDir(dir: string): Promise<Validation> {
  if (dir.trim() === '') return 'type a folder for the run';
  const info = await stat(dir).catch(() => undefined);
  if (!info) return true;
  if (!info.isDirectory()) return `${dir} exists and is not a folder; pick a new folder`;
  return (await readdir(dir)).length === 0 ? true : `${dir} already holds files (another run?); pick a new folder`;
}
