import test from 'ava';
import { applyColourTransform, colourTransform } from '../src/data/colour.ts';

const jitter = { brightness: 1, channelShift: 0, hue: 0, saturation: 1 };
const pixels = (...rgb: number[]) => ({ data: Uint8Array.from(rgb), width: rgb.length / 3, height: 1 });
const luma = (r: number, g: number, b: number): number => 0.213 * r + 0.715 * g + 0.072 * b;

test('no jitter is no transform', (t) => {
  t.is(colourTransform(jitter), null);
});

test('brightness after channel shift, as Keras: b (x + s), rounded and clipped', (t) => {
  const out = applyColourTransform(pixels(100, 10, 250), colourTransform({ ...jitter, brightness: 1.5, channelShift: -20 })!);
  t.deepEqual([...out.data], [120, 0, 255]);
});

test('saturation 0 gives grey of the same luminance; saturation 1 changes nothing', (t) => {
  const [r, g, b] = [200, 60, 30];
  const grey = applyColourTransform(pixels(r, g, b), colourTransform({ ...jitter, saturation: 0 })!);
  for (const v of grey.data) t.true(Math.abs(v - luma(r, g, b)) <= 0.5, `${v} vs ${luma(r, g, b)}`);
  const same = applyColourTransform(pixels(r, g, b), colourTransform({ ...jitter, saturation: 1, brightness: 1 + 1e-9 })!);
  t.deepEqual([...same.data], [r, g, b]);
});

test('hue rotation keeps greys and luminance, moves red towards green at +120 and back at -120', (t) => {
  const greys = applyColourTransform(pixels(0, 0, 0, 128, 128, 128, 255, 255, 255), colourTransform({ ...jitter, hue: 77 })!);
  t.deepEqual([...greys.data], [0, 0, 0, 128, 128, 128, 255, 255, 255]);
  const [r, g, b] = [180, 60, 60];
  const turned = applyColourTransform(pixels(r, g, b), colourTransform({ ...jitter, hue: 120 })!);
  const [r2, g2, b2] = turned.data as unknown as [number, number, number];
  t.true(g2 > r2 && g2 > b2, `red turned to ${r2},${g2},${b2}`);
  t.true(Math.abs(luma(r2, g2, b2) - luma(r, g, b)) <= 1.5);
  const back = applyColourTransform(turned, colourTransform({ ...jitter, hue: -120 })!);
  for (const [i, v] of [r, g, b].entries()) t.true(Math.abs(back.data[i]! - v) <= 2, `${[...back.data]} vs ${[r, g, b]}`);
});
