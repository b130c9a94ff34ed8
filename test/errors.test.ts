import test from 'ava';
import { UsageError, UserError, describeError, readableError } from '../src/errors.ts';

test('UserError messages are shown verbatim, other errors with their type', (t) => {
  t.is(describeError(new UserError('weights file x.h5: not HDF5')), 'weights file x.h5: not HDF5');
  t.is(describeError(new TypeError('bad')), 'TypeError: bad');
  t.is(describeError('plain'), 'plain');
});

test('any other error is described in one line, cut short when a dependency packs kilobytes into it', (t) => {
  t.is(describeError(new RangeError('first line\n    at glue.js:1\nmore')), 'RangeError: first line');
  const minified = describeError(new Error(`Aborted(${'var a=b;'.repeat(4000)})`));
  t.is(minified.length, 301);
  t.true(minified.startsWith('Error: Aborted(var a=b;'));
  t.false(minified.includes('\n'));
});

test('readableError keeps UserErrors (usage errors included) and restates the rest with the original as cause', (t) => {
  const usage = new UsageError('Invalid x options (seed: too small).');
  t.true(usage instanceof UserError);
  t.is(readableError(usage), usage);
  const foreign = new TypeError('bad\nstack-like noise');
  const restated = readableError(foreign);
  t.is(restated.message, 'TypeError: bad');
  t.is(restated.cause, foreign);
});
