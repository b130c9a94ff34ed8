/**
 * Map `items` through an async `fn`, yielding results in input order while keeping at most
 * `concurrency` calls running and at most `lookahead` results (finished or running) ahead of the
 * consumer. Work continues while the consumer is busy, but memory stays bounded by `lookahead`.
 */
export async function* orderedMap<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  options: { concurrency: number; lookahead: number },
): AsyncGenerator<R> {
  const concurrency = Math.max(1, options.concurrency);
  const lookahead = Math.max(concurrency, options.lookahead);
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const start = (item: T, index: number): Promise<R> => {
    const task = acquire().then(() => fn(item, index)).finally(release);
    task.catch(() => undefined); // rejections surface when the consumer reaches this item, in order
    return task;
  };

  const iterator = items[Symbol.iterator]();
  const window: Array<Promise<R>> = [];
  let index = 0;
  const fill = (): void => {
    while (window.length < lookahead) {
      const next = iterator.next();
      if (next.done) return;
      window.push(start(next.value, index++));
    }
  };
  fill();
  while (window.length > 0) {
    const result = await window.shift()!;
    fill();
    yield result;
  }
}
