/**
 * The terminal libraries belong to the CLI: a file under src/ outside src/cli/ that imports
 * commander, inquirer (or an @inquirer/* package) or cli-progress fails this test.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { importedSpecifiers, importsOf, libraryFiles } from './helpers/imports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Packages only src/cli/ may import. */
const CLI_ONLY = [/^commander$/, /^inquirer$/, /^@inquirer\//, /^cli-progress$/];

const cliOnly = (specifier: string): boolean => CLI_ONLY.some((p) => p.test(specifier));

test('the checker sees every form of import, type-only and dynamic ones included', (t) => {
  const planted = [
    "import { Command } from 'commander';",
    "import type { Command } from 'commander';",
    "import {\n  type DistinctQuestion,\n  createPromptModule,\n} from 'inquirer';",
    "export { select } from '@inquirer/prompts';",
    "import 'cli-progress';",
    "const prompts = await import('@inquirer/prompts');",
    "const { Command } = require('commander');",
  ];
  for (const source of planted) t.true(importedSpecifiers(source).some(cliOnly), source);
  t.deepEqual(importedSpecifiers("import { z } from 'zod';\nimport { parseOrThrow } from '../util/validate.ts';").filter(cliOnly), []);
});

test('commander, inquirer and cli-progress are imported only under src/cli/', async (t) => {
  const files = await libraryFiles(root);
  t.true(files.length > 50, `found ${files.length} library files`);
  const offenders = [...(await importsOf(root, files))].flatMap(([file, specifiers]) => specifiers.filter(cliOnly).map((s) => `${file} imports ${s}`));
  t.deepEqual(offenders, [], 'move the code that needs these into src/cli/, or give the library an event or option the CLI renders');
});
