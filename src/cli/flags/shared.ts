import { Option, type Command } from 'commander';
import { z } from 'zod';
import { OPTION_PIECES, type OptionName } from '../../options/pieces.ts';

/** How each shared option is spelled on the command line (the flag is its name in kebab case). */
const FLAG_SPECS = {
  seed: { value: '<n>', parse: Number },
  valSplit: { value: '<fraction>', parse: Number },
  cache: { value: '<dir>' },
  inputSize: { value: '<px>', parse: Number },
  resize: { value: '<mode>' },
  precision: { value: '<p>' },
  engine: { value: '<name>' },
  augmentCopies: { value: '<n>', parse: Number },
  cut: { value: '<layer>' },
  weights: { value: '<file>' },
} satisfies Partial<Record<OptionName, { value: string; parse?: (raw: string) => unknown }>>;

export type FlagName = keyof typeof FLAG_SPECS;

export const flagOf = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** " (default X)" for help text, read from the schema itself, so help and parsing never disagree. */
export function defaultNote(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodDefault)) return '';
  const value = schema.def.defaultValue as unknown;
  return ` (default ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

/**
 * The flag of a shared option: its name, value and parser from one table, its default (in the help)
 * from options/. No commander default: the schema applies it when the flag is absent, and
 * `getOptionValueSource` tells flags actually given apart (train's `--config` merge needs that).
 */
export function sharedOption(name: FlagName, description: string): Option {
  const spec: { value: string; parse?: (raw: string) => unknown } = FLAG_SPECS[name];
  const option = new Option(`${flagOf(name)} ${spec.value}`, `${description}${defaultNote(OPTION_PIECES[name])}`);
  return spec.parse ? option.argParser(spec.parse) : option;
}

/** Add the flags of several shared options, in the order given, each with its command's description. */
export function addSharedFlags(cmd: Command, descriptions: Partial<Record<FlagName, string>>): Command {
  for (const [name, description] of Object.entries(descriptions) as [FlagName, string][]) cmd.addOption(sharedOption(name, description));
  return cmd;
}
