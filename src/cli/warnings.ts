import { readRandomInitMarker } from '../keras/index.ts';
import { randomInitWarning, type TransferkitWarning } from '../warnings.ts';

/** How the CLI shows a library warning: one line on stderr. */
export function printWarning(warning: TransferkitWarning): void {
  process.stderr.write(`warning: ${warning.message}\n`);
}

/** The random-init warning for commands that take `--weights`, once, before they work. */
export async function warnIfRandomInit(weights: string): Promise<void> {
  const marker = await readRandomInitMarker(weights);
  if (marker !== undefined) printWarning(randomInitWarning(weights, marker));
}
