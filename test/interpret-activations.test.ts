import test from 'ava';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { activationsCanvas, featureMaps, kernelResponse, kernelResponseCanvas } from '../src/interpret/activations.ts';
import { canvasToPng } from '../src/interpret/compose.ts';
import { prepareImage } from '../src/interpret/source.ts';
import { VGG16_PREPROCESSING } from '../src/models/preprocess.ts';
import { vgg16Prefix } from '../src/models/vgg16.ts';
import { tempDir } from './helpers/temp-dir.ts';
import { assertPicture, svgToPng } from './interpret-helpers.ts';

const SIDE = 32;
const EDGE_FILTER = 5;
const tmp = await tempDir('tk-interpret-act-');
const preprocessing = { ...VGG16_PREPROCESSING, size: [SIDE, SIDE] as [number, number] };

/** block1_conv1 with filter 5 set by hand to a Sobel detector of horizontal edges (dark above, bright below). */
async function edgeModel(): Promise<tf.LayersModel> {
  const model = await vgg16Prefix('block1_conv1', { inputShape: [SIDE, SIDE, 3] });
  const layer = model.getLayer('block1_conv1');
  const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
  const k = kernel.arraySync();
  const sobel = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]];
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) k[y]![x]![c]![EDGE_FILTER] = sobel[y]![x]!;
  const b = bias.arraySync();
  b[EDGE_FILTER] = 0;
  const [kt, bt] = [tf.tensor4d(k), tf.tensor1d(b)];
  layer.setWeights([kt, bt]);
  tf.dispose([kt, bt]);
  return model;
}

const horizontal = () => svgToPng(join(tmp, 'h.png'), SIDE, SIDE, `<rect width="32" height="32" fill="#111"/><rect y="16" width="32" height="16" fill="#eee"/>`);
const vertical = () => svgToPng(join(tmp, 'v.png'), SIDE, SIDE, `<rect width="32" height="32" fill="#111"/><rect x="16" width="16" height="32" fill="#eee"/>`);

/** Largest value away from the zero-padded border (which sees an artificial edge of its own). */
function interiorMax(map: Float32Array, side: number): number {
  let max = -Infinity;
  for (let y = 2; y < side - 2; y++) for (let x = 2; x < side - 2; x++) max = Math.max(max, map[y * side + x]!);
  return max;
}

test.before(async () => {
  await initBackend();
});

test.serial('a hand-set horizontal-edge filter lights up on a horizontal edge, not on a vertical one', async (t) => {
  const model = await edgeModel();
  const h = await prepareImage(await horizontal(), preprocessing);
  const v = await prepareImage(await vertical(), preprocessing);
  const onH = kernelResponse(model, h.input, 'block1_conv1', EDGE_FILTER);
  const onV = kernelResponse(model, v.input, 'block1_conv1', EDGE_FILTER);
  // Sobel gain 4 per channel x 3 channels x (238 - 17) grey levels on the edge rows.
  t.true(interiorMax(onH.activated, SIDE) > 2000, `horizontal edge response ${interiorMax(onH.activated, SIDE)}`);
  t.true(Math.abs(interiorMax(onV.activated, SIDE)) < 1e-3, `vertical edge response ${interiorMax(onV.activated, SIDE)}`);
  // The strongest row is at the edge (rows 15-16), the flat halves give nothing.
  const rowMax = (y: number) => Math.max(...onH.activated.subarray(y * SIDE + 2, y * SIDE + SIDE - 2));
  t.true(rowMax(15) > 2000 || rowMax(16) > 2000);
  t.true(rowMax(8) < 1e-3 && rowMax(24) < 1e-3);
  // The same filter seen through the feature-map path agrees.
  const fm = featureMaps(model, h.input, 'block1_conv1', [EDGE_FILTER]);
  t.deepEqual([...fm.maps[0]!].map((x) => Math.round(x)), [...onH.activated].map((x) => Math.round(x)));
  tf.dispose([h.input, v.input]);
  model.dispose();
});

test.serial('feature-map grid and single-kernel picture: stated sizes, real content, shared vs per-map scales', async (t) => {
  const model = await vgg16Prefix('block1_pool', { inputShape: [SIDE, SIDE, 3] });
  const { rgb, input } = await prepareImage(await horizontal(), preprocessing);
  const perMap = activationsCanvas(model, input, { layer: 'block1_pool', channels: [0, 1, 2, 3, 4, 5, 6, 7, 8] });
  // 16x16 maps upscaled x4 to 64px tiles, 3x3 grid.
  t.deepEqual([perMap.images[0]!.image.width, perMap.images.length], [64, 9]);
  await assertPicture(t, await canvasToPng(perMap), perMap.width, perMap.height);
  const shared = activationsCanvas(model, input, { layer: 'block1_pool', channels: [0, 1, 2, 3, 4, 5, 6, 7, 8], scale: 'shared' });
  t.notDeepEqual(shared.images.map((i) => [...i.image.data]), perMap.images.map((i) => [...i.image.data]));
  t.regex(shared.texts[0]!.text, /shared scale/);
  const demo = kernelResponseCanvas(model, input, rgb, { layer: 'block1_conv2', filter: 3 });
  t.is(demo.images.length, 4);
  t.is(demo.images[0]!.image.width, 64);
  await assertPicture(t, await canvasToPng(demo), demo.width, demo.height);
  t.throws(() => activationsCanvas(model, input, { layer: 'block1_pool', channels: [64] }), { message: /has 64 channels \(0-63\); got 64/ });
  input.dispose();
  model.dispose();
});

test.serial('no tensor leaks across repeated calls', async (t) => {
  const model = await edgeModel();
  const { rgb, input } = await prepareImage(await horizontal(), preprocessing);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    activationsCanvas(model, input, { layer: 'block1_conv1' });
    kernelResponseCanvas(model, input, rgb, { layer: 'block1_conv1', filter: EDGE_FILTER });
  }
  t.is(tf.memory().numTensors, before);
  input.dispose();
  model.dispose();
});
