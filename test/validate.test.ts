import test from 'ava';
import { z } from 'zod';
import { UserError } from '../src/errors.ts';
import { parseOrThrow } from '../src/util/validate.ts';

const schema = z.object({ valSplit: z.number().lt(1), seed: z.number().int(), ranges: z.array(z.number().positive()).optional() });

test('parseOrThrow names every bad field by key, or by the flag it came from', (t) => {
  t.deepEqual(parseOrThrow(schema, { valSplit: 0.2, seed: 1 }, 'scan options'), { valSplit: 0.2, seed: 1 });
  t.throws(() => parseOrThrow(schema, { valSplit: 2, seed: 1.5 }, 'scan options'), {
    instanceOf: UserError,
    message: /^Invalid scan options \(valSplit: .+; seed: .+\)\.$/,
  });
  t.throws(() => parseOrThrow(schema, { valSplit: 2, seed: 1, ranges: [1, -1] }, 'scan options', { asFlags: true }), {
    instanceOf: UserError,
    message: /^Invalid scan options \(--val-split: .+; --ranges\.1: .+\)\.$/,
  });
});
