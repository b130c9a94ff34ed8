/**
 * An error caused by the user's input (a file, a layer, an option). The CLI prints its message as
 * one line without a stack trace, so the message must name the thing, what was expected, and the fix.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Invalid options or arguments: the invocation itself is wrong. The CLI exits 2 for these, 1 for other errors. */
export class UsageError extends UserError {
  override name = 'UsageError';
}

/** Longest message shown for an error from inside a dependency (wasm glue can put kilobytes in one). */
const MAX_FOREIGN_MESSAGE = 300;

/**
 * The message a user sees for any error, always one line: UserErrors verbatim, anything else with
 * its type, its first line only, cut at {@link MAX_FOREIGN_MESSAGE} characters.
 */
export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.message;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text.trim();
  return line.length > MAX_FOREIGN_MESSAGE ? `${line.slice(0, MAX_FOREIGN_MESSAGE)}…` : line;
}

/**
 * An error fit to leave the library: UserErrors as they are, anything else restated as one readable
 * line thrown from our own code (so an uncaught one shows our line, not a dependency's minified
 * source), with the original kept as `cause`.
 */
export function readableError(err: unknown): Error {
  return err instanceof UserError ? err : new Error(describeError(err), { cause: err });
}

/**
 * Work stopped by an AbortSignal (Ctrl-C). Finished work is kept (cached features, the best
 * checkpoint); the message says what was kept. The CLI exits 130 on it, as shells do after Ctrl-C.
 */
export class InterruptedError extends UserError {
  override name = 'InterruptedError';
}
