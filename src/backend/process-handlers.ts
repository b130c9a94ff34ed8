/**
 * tfjs-backend-wasm's Emscripten glue, when it starts, adds process handlers that rethrow every
 * uncaught exception and unhandled rejection from inside its own minified source: Node then prints
 * that ~30 KB line instead of the app's error and exits 7. A library must not change how its host
 * process fails, so the handlers added while a backend starts are removed again.
 */
export async function withoutAddedCrashHandlers<T>(start: () => Promise<T>): Promise<T> {
  const exceptionHandlers = new Set(process.listeners('uncaughtException'));
  const rejectionHandlers = new Set(process.listeners('unhandledRejection'));
  try {
    return await start();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!exceptionHandlers.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!rejectionHandlers.has(l)) process.removeListener('unhandledRejection', l);
  }
}
