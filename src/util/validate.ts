import type { z } from 'zod';
import { UserError } from '../errors.ts';

/**
 * Parse user input once at the edge: the schema's output, or a UserError listing every problem by
 * field (`what` names the input, e.g. "VGG16 options" or "predict options").
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  throw new UserError(`Invalid ${what} (${issues}).`);
}
