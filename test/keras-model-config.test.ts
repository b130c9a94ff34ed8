// modelFromKerasConfig refuses what it cannot rebuild, by name, without executing anything.
import test from 'ava';
import { modelFromKerasConfig, UserError } from '../src/index.ts';

const input = { class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'x' }, name: 'x', inbound_nodes: [] };
const functional = (layer: object) => ({
  class_name: 'Functional',
  config: { name: 'm', layers: [input, { ...layer, name: 'odd', inbound_nodes: [[['x', 0, 0, {}]]] }], input_layers: [['x', 0, 0]], output_layers: [['odd', 0, 0]] },
});

test('Lambda layers are refused by name and class', (t) => {
  const err = t.throws(() => modelFromKerasConfig(functional({ class_name: 'Lambda', config: { name: 'odd', function: 'import os' } })), { instanceOf: UserError });
  t.regex(err.message, /layer 'odd' is a Lambda.*never executes/);
});

test('custom classes are refused even under a built-in name', (t) => {
  const err = t.throws(() => modelFromKerasConfig(functional({ class_name: 'Dense', module: 'my_pkg.layers', registered_name: 'MyDense', config: { name: 'odd', units: 2 } })), { instanceOf: UserError });
  t.regex(err.message, /custom class 'MyDense'/);
});

test('unsupported options are refused, not dropped', (t) => {
  t.throws(() => modelFromKerasConfig(functional({ class_name: 'Dense', config: { name: 'odd', units: 2, activation: 'gelu' } })), { message: /activation "gelu" is not supported/ });
});

test('a supported Keras 3 config builds', (t) => {
  const model = modelFromKerasConfig(functional({ class_name: 'Dense', config: { name: 'odd', units: 2, activation: 'relu' } }));
  t.deepEqual(model.outputs[0]!.shape, [null, 2]);
  model.dispose();
});

test("kernelInit 'zeros' starts Dense/Conv2D kernels at zero; the default draws them at random", (t) => {
  const config = functional({ class_name: 'Dense', config: { name: 'odd', units: 8 } });
  const kernelValues = (kernelInit?: 'random' | 'zeros') => {
    const model = modelFromKerasConfig(config, { kernelInit });
    const values = Array.from(model.getLayer('odd').getWeights()[0]!.dataSync());
    model.dispose();
    return values;
  };
  t.true(kernelValues('zeros').every((v) => v === 0));
  t.true(kernelValues().some((v) => v !== 0));
});
