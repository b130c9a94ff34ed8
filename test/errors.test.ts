import test from 'ava';
import { UserError, describeError } from '../src/errors.ts';

test('UserError messages are shown verbatim, other errors with their type', (t) => {
  t.is(describeError(new UserError('weights file x.h5: not HDF5')), 'weights file x.h5: not HDF5');
  t.is(describeError(new TypeError('bad')), 'TypeError: bad');
  t.is(describeError('plain'), 'plain');
});
