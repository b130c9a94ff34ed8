/**
 * An error caused by the user's input (a file, a layer, an option). The CLI prints its message as
 * one line without a stack trace, so the message must name the thing, what was expected, and the fix.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** The message a user sees for any error: UserErrors verbatim, anything else with its type. */
export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Work stopped by an AbortSignal (Ctrl-C). Finished work is kept (cached features, the best
 * checkpoint); the message says what was kept. The CLI exits 130 on it, as shells do after Ctrl-C.
 */
export class InterruptedError extends UserError {
  override name = 'InterruptedError';
}
