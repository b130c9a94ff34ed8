import type { z } from 'zod';
import { UsageError } from '../errors.ts';

/** How a field is named in the error: as the schema key, or as the CLI flag it came from. */
export interface ParseOptions {
  /** Name top-level fields as command-line flags (`valSplit` -> `--val-split`). Default: false. */
  asFlags?: boolean;
}

const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Parse user input once at the edge: the schema's output, or a UsageError (a UserError) listing every
 * problem by field (`what` names the input, e.g. "VGG16 options" or "predict options").
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, options: ParseOptions = {}): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const field = (path: PropertyKey[]): string => {
    const [head, ...rest] = path.map(String);
    if (head === undefined) return 'value';
    return [options.asFlags ? flagName(head) : head, ...rest].join('.');
  };
  const issues = parsed.error.issues.map((i) => `${field(i.path)}: ${i.message}`).join('; ');
  throw new UsageError(`Invalid ${what} (${issues}).`);
}
