/**
 * Run as a child process (under scripts/avx2-only/run.sh by engines-int8-avx2.test.ts): calibrates
 * the int8 fixture in argv[2] with the CPU's own weight bits and with 7 and 8 forced, and prints one
 * JSON line with each one's worst int8-vs-fp32 agreement on the held-out images.
 */
import { int8WeightBits } from '../../src/models/engines/calibrate.ts';
import { calibrateFixture, openInt8Fixture, worstInt8Agreement } from './int8-fixture.ts';

const SIZE = 48;
const f = await openInt8Fixture(process.argv[2]!);

async function worst(weightBits?: 7 | 8): Promise<{ weightBits: number; cosine: number; relativeError: number }> {
  const ranges = await calibrateFixture(f, SIZE, weightBits);
  return { weightBits: ranges.weightBits, ...(await worstInt8Agreement(f, ranges, SIZE)) };
}

console.log(JSON.stringify({ cpuWeightBits: await int8WeightBits(), cpu: await worst(), bits7: await worst(7), bits8: await worst(8) }));
