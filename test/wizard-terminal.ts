import { PassThrough, Writable } from 'node:stream';

/** Keys as a terminal sends them. */
export const KEY = { enter: '\r', up: '\x1b[A', down: '\x1b[B', ctrlC: '\x03', clearLine: '\x15' } as const;

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * A scripted terminal for the wizard: `input` gets keys, `output` collects everything shown. The
 * script waits for a prompt's text to appear, then types, like a person would.
 */
export class ScriptedTerminal {
  readonly input = new PassThrough();
  readonly output: Writable;
  private text = '';
  private offset = 0;
  private waiter: { pattern: RegExp; resolve: () => void } | undefined;

  constructor() {
    // A wide terminal, so inquirer does not wrap the lines the script waits for.
    this.output = Object.assign(new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.text += chunk.toString('utf8').replace(ANSI, '');
        this.check();
        done();
      },
    }), { columns: 1000 });
  }

  /** Everything shown so far, without colours and cursor moves. */
  get screen(): string {
    return this.text;
  }

  private check(): void {
    if (!this.waiter) return;
    const match = this.waiter.pattern.exec(this.text.slice(this.offset));
    if (!match) return;
    this.offset += match.index + match[0].length;
    const { resolve } = this.waiter;
    this.waiter = undefined;
    resolve();
  }

  /** Wait until `pattern` shows up after the previous match. */
  waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; screen:\n${this.text.slice(-2000)}`)), timeoutMs);
      this.waiter = { pattern, resolve: () => { clearTimeout(timer); resolve(); } };
      this.check();
    });
  }

  /** Type keys (text, or KEY values). */
  type(keys: string): void {
    this.input.write(keys);
  }

  /** Wait for a prompt, then answer it. */
  async answer(pattern: RegExp, keys: string): Promise<void> {
    await this.waitFor(pattern);
    this.type(keys);
  }
}
