import test from 'ava';
import { mayQueue } from '../src/cache/worker-pool.ts';

test('a worker queues a second batch only while no other worker is idle', (t) => {
  // The first worker ready must not take both batches of a short run while the second starts up.
  t.true(mayQueue([0, 0], 0));
  t.false(mayQueue([1, 0], 0));
  t.true(mayQueue([1, 1], 0));
  t.false(mayQueue([2, 1], 0), 'two queued is the most');
  t.true(mayQueue([1, Infinity], 0), 'a stopped worker takes nothing, so it does not hold others back');
  t.true(mayQueue([1, 0], 1));
});
