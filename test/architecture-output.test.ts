import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryFiles } from './helpers/imports.ts';
import { findOutputWrites } from './helpers/output-writes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

test('no file under src/ outside src/cli/ writes to stdout or stderr', async (t) => {
  // The library reports through return values and events.
  const files = await libraryFiles(root);
  t.true(files.length > 100, `${files.length} library files found under src/`);
  t.true(files.includes('src/training/train.ts') && !files.some((f) => f.startsWith('src/cli')));
  const writes: string[] = [];
  for (const file of files) {
    for (const w of findOutputWrites(await readFile(join(root, file), 'utf8'))) writes.push(`${file}:${w.line}: ${w.code}`);
  }
  t.deepEqual(writes, [], 'the library emits events or returns values; the CLI (src/cli/) prints them');
});

test('the checker flags every way of writing to the terminal', (t) => {
  const writes = [
    'console.log(x);',
    'console.error(`a ${b}`);',
    'globalThis.console.warn("x");',
    'const say = console;',
    "process.stderr.write('line\\n');",
    'process.stdout.write(JSON.stringify(v));',
    'process.stderr.write.call(process.stderr, chunk);',
    'const w = process.stdout.write.bind(process.stdout);',
    'new cliProgress.SingleBar({ stream: process.stderr });',
    'const out = streams.output ?? process.stdout;',
    'process.stdout.on("drain", f); ',
    'const { stderr } = process;',
    "process['stdout'].write('x');",
    "import { stdout } from 'node:process';",
    'writeSync(2, message);',
    'fs.writeSync(1, "x");',
    'const s = `total ${console.log(n) ?? n} images`;',
    'if (/a\\/b/.test(p)) process.stderr.write(p);',
  ];
  for (const code of writes) t.true(findOutputWrites(code).length > 0, code);
  t.deepEqual(findOutputWrites('const a = 1;\n\nconsole.info(a);'), [{ line: 3, code: 'console.info(a);' }]);
});

test('the checker lets terminal reads, muting, strings and comments pass', (t) => {
  const harmless = [
    // keras/h5.ts mutes h5wasm's abort message: replacing the function is not a write.
    'const write = process.stderr.write;\nprocess.stderr.write = (() => true) as typeof process.stderr.write;\nprocess.stderr.write = write;',
    'const tty = process.stderr.isTTY && process.stdout.columns > 80;',
    '// console.log(x) in a comment, and process.stderr.write(y)',
    '/** Prints with `console.log`. */',
    "const s = 'console.log(1); process.stdout.write(2)';",
    'const t = `process.stderr.write(${n}) then console.error`;',
    'const r = /console\\.log\\(/;',
    'logger.console.log(x); obj.process.stdout.write(y);',
    'const env = process.env.HOME; process.exitCode = 2; process.kill(pid, 0);',
    'const o = { process: 1 };',
    'writeSync(3, result); write(fd, buffer);',
  ];
  for (const code of harmless) t.deepEqual(findOutputWrites(code), [], code);
});
