import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOutputWrites } from './helpers/output-writes.ts';

const src = fileURLToPath(new URL('../src', import.meta.url));

/** Every .ts file under src/ outside src/cli/ (the library: it reports through return values and events). */
async function libraryFiles(): Promise<string[]> {
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(src, join(e.parentPath, e.name)))
    .filter((path) => !path.startsWith(`cli${sep}`))
    .sort();
}

test('no file under src/ outside src/cli/ writes to stdout or stderr', async (t) => {
  const files = await libraryFiles();
  t.true(files.length > 100, `${files.length} library files found under ${src}`);
  t.true(files.includes(join('training', 'train.ts')) && !files.some((f) => f.startsWith('cli')));
  const writes: string[] = [];
  for (const file of files) {
    for (const w of findOutputWrites(await readFile(join(src, file), 'utf8'))) writes.push(`src/${file}:${w.line}: ${w.code}`);
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
