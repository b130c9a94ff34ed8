/**
 * Finds code that writes to the terminal: `console.*`, `process.stdout`/`process.stderr` writes,
 * a standard stream handed to something else (which may write to it), and writes to fd 1 or 2.
 * It reads tokens (TypeScript's own scanner), so strings, comments and template text never count.
 *
 * Not writes: reading `isTTY`/`columns`/`rows`, and replacing `process.stderr.write` (muting it, as
 * keras/h5.ts does around h5wasm) or reading it to put it back. Calling the saved function needs the
 * stream as `this` (`.call(process.stderr, ...)`), and handing the stream on is flagged.
 */
import { createScanner, SyntaxKind } from 'typescript/unstable/ast';

export interface OutputWrite {
  line: number;
  /** The code from the flagged token to the end of its line. */
  code: string;
}

interface Token {
  kind: SyntaxKind;
  text: string;
  start: number;
}

/** Tokens after which `/` divides; elsewhere it starts a regular expression. */
const ENDS_EXPRESSION = new Set([
  SyntaxKind.Identifier, SyntaxKind.CloseParenToken, SyntaxKind.CloseBracketToken, SyntaxKind.CloseBraceToken,
  SyntaxKind.NumericLiteral, SyntaxKind.StringLiteral, SyntaxKind.BigIntLiteral, SyntaxKind.NoSubstitutionTemplateLiteral,
  SyntaxKind.TemplateTail, SyntaxKind.ThisKeyword, SyntaxKind.SuperKeyword, SyntaxKind.TrueKeyword, SyntaxKind.FalseKeyword,
  SyntaxKind.NullKeyword, SyntaxKind.PlusPlusToken, SyntaxKind.MinusMinusToken,
]);

/** The source's tokens, rescanned as a parser would: template continuations after `}`, regular expressions after operators. */
function tokens(source: string): Token[] {
  const scanner = createScanner(true, undefined, source);
  const out: Token[] = [];
  // One entry per open `{`: true when it is a template's `${`.
  const braces: boolean[] = [];
  for (let kind = scanner.scan(); kind !== SyntaxKind.EndOfFile; kind = scanner.scan()) {
    if (kind === SyntaxKind.CloseBraceToken && braces.pop() === true) kind = scanner.reScanTemplateToken(false);
    else if ((kind === SyntaxKind.SlashToken || kind === SyntaxKind.SlashEqualsToken) && !ENDS_EXPRESSION.has(out.at(-1)?.kind ?? SyntaxKind.Unknown)) kind = scanner.reScanSlashToken();
    if (kind === SyntaxKind.OpenBraceToken) braces.push(false);
    if (kind === SyntaxKind.TemplateHead || kind === SyntaxKind.TemplateMiddle) braces.push(true);
    out.push({ kind, text: scanner.getTokenText(), start: scanner.getTokenStart() });
  }
  return out;
}

const STREAMS = new Set(['stdout', 'stderr']);
/** Stream properties that only read the terminal's state. */
const READS = new Set(['isTTY', 'columns', 'rows']);
/** Calling a function through these runs it. */
const INVOKES = new Set(['call', 'apply', 'bind']);

/** Whether the tokens from `i` (just after `process.stdout`/`.stderr`) use the stream without writing to it. */
function harmlessUse(ts: readonly Token[], i: number): boolean {
  if (ts[i]?.kind !== SyntaxKind.DotToken) return false;
  const member = ts[i + 1]?.text ?? '';
  if (READS.has(member)) return true;
  if (member !== 'write') return false;
  const next = ts[i + 2];
  if (next?.kind === SyntaxKind.OpenParenToken) return false;
  if (next?.kind === SyntaxKind.DotToken && INVOKES.has(ts[i + 3]?.text ?? '')) return false;
  // Assigned (muted) or read to be put back.
  return true;
}

/** Indexes of the tokens that start a write to stdout/stderr. */
function writeStarts(ts: readonly Token[]): number[] {
  const found: number[] = [];
  ts.forEach((t, i) => {
    if (t.kind === SyntaxKind.StringLiteral && /^['"](node:)?process['"]$/.test(t.text) && (ts[i - 1]?.kind === SyntaxKind.FromKeyword || ts[i - 1]?.kind === SyntaxKind.OpenParenToken)) found.push(i);
    if (t.kind !== SyntaxKind.Identifier) return;
    const before = ts[i - 1];
    const memberOfOther = before?.kind === SyntaxKind.DotToken && ts[i - 2]?.text !== 'globalThis';
    if (t.text === 'console' && !memberOfOther) found.push(i);
    else if (t.text === 'process' && !memberOfOther) {
      const after = ts[i + 1];
      // `process` itself handed on, destructured or indexed (an object key `process:` is a name, not the object).
      if (after?.kind !== SyntaxKind.DotToken && after?.kind !== SyntaxKind.QuestionDotToken && after?.kind !== SyntaxKind.ColonToken) found.push(i);
      else if (STREAMS.has(ts[i + 2]?.text ?? '') && !harmlessUse(ts, i + 3)) found.push(i);
    } else if ((t.text === 'writeSync' || t.text === 'write') && ts[i + 1]?.kind === SyntaxKind.OpenParenToken && ['1', '2'].includes(ts[i + 2]?.text ?? '') && ts[i + 3]?.kind === SyntaxKind.CommaToken) {
      found.push(i);
    }
  });
  return found;
}

/** Every write to the terminal in a TypeScript source (and every import of node:process), with its line. */
export function findOutputWrites(source: string): OutputWrite[] {
  const ts = tokens(source);
  return writeStarts(ts).map((i) => {
    const start = ts[i]!.start;
    const lineEnd = source.indexOf('\n', start);
    return { line: source.slice(0, start).split('\n').length, code: source.slice(start, lineEnd < 0 ? undefined : lineEnd).trim() };
  });
}
