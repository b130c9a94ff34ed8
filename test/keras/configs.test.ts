// .keras configs written by tf_keras load; Keras ops and Lambda layers are refused naming file and layer.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.ts';
import { UserError } from '../../src/errors.ts';
import { describeKerasFile, loadKerasModel, readKerasFile } from '../../src/index.ts';
import { kerasIo } from './oracle.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let dir: string;
test.before(async () => {
  await initBackend('wasm');
  dir = await tempDir('transferkit-keras-configs-');
  await kerasIo({ op: 'configs', out: dir });
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

test.serial('a tf_keras .keras archive (module tf_keras.src...) loads, and inspect shows the user\'s layer names', async (t) => {
  const path = join(dir, 'tf_keras.keras');
  const model = await loadKerasModel(path);
  t.deepEqual(model.layers.map((l) => l.name).slice(1), ['my_conv', 'my_flat', 'my_dense']);
  model.dispose();
  const names = describeKerasFile(await readKerasFile(path)).layers.map((l) => l.name);
  t.true(names.includes('my_conv') && names.includes('my_dense') && !names.includes('conv2d'), names.join(', '));
});

test.serial('keras.ops.add(x, 1.0) is refused with a UserError naming the file and the layer', async (t) => {
  const path = join(dir, 'ops_add.keras');
  const err = await t.throwsAsync(loadKerasModel(path), { instanceOf: UserError });
  t.regex(err!.message, /ops_add\.keras: layer 'add' is the Keras op keras\.ops\.add/);
});

test.serial('a Lambda layer in a tf_keras .keras is still refused by name', async (t) => {
  const err = await t.throwsAsync(loadKerasModel(join(dir, 'lambda.keras')), { instanceOf: UserError });
  t.regex(err!.message, /lambda\.keras: layer 'double' is a Lambda/);
});
