import { Command } from 'commander';
import { describeError } from '../errors.ts';
import { register as registerCheck } from './check.ts';
import { register as registerAugmentPreview } from './augment-preview.ts';
import { register as summary } from './summary.ts';
import { register as predict } from './predict.ts';
import { register as initWeights } from './init-weights.ts';
import { register as inspect } from './inspect.ts';
import { register as doctor } from './doctor.ts';
import { register as extract } from './extract.ts';
import { register as train } from './train.ts';
import { register as advise } from './advise.ts';
import { register as wizard } from './wizard.ts';
import { register as evaluate } from './evaluate.ts';
import { register as exportCommand } from './export.ts';
import { register as visualize } from './visualize.ts';

/** Each command lives in its own file and adds itself to the program. */
type Register = (program: Command) => void;

const commands: Register[] = [registerCheck, registerAugmentPreview, summary, predict, initWeights, inspect, doctor, extract, train, advise, visualize, evaluate, exportCommand, wizard];

const program = new Command('transferkit')
  .description('Transfer learning with pretrained VGG16 on your own image folders')
  .option('--backend <name>', 'tfjs backend: tensorflow-gpu | tensorflow | wasm | cpu (env TRANSFERKIT_BACKEND)')
  .showHelpAfterError();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One line, no stack: users need the fix, not our internals (TRANSFERKIT_DEBUG=1 shows the stack).
  console.error(`transferkit: ${describeError(err)}`);
  if (process.env.TRANSFERKIT_DEBUG) console.error(err);
  process.exitCode = 1;
}
