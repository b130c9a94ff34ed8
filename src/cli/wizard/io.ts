import { PassThrough, type Readable, type Writable } from 'node:stream';
import { createPromptModule, type DistinctQuestion } from 'inquirer';

/** Where the wizard reads keys from and writes to: the CLI passes its terminal, tests in-memory streams. */
export interface WizardStreams {
  /** Keys. */
  input: Readable;
  /** Prompts, messages and the run's progress. */
  output: Writable;
}

/** A question of any inquirer type; its answer comes back from `ask` as `T`. */
export type WizardQuestion = DistinctQuestion extends infer Q ? (Q extends unknown ? Omit<Q, 'name'> : never) : never;

/** The wizard's terminal: ask one inquirer question at a time, print lines between them. */
export class WizardIO {
  readonly input: Readable;
  readonly output: Writable;

  constructor(streams: WizardStreams) {
    this.input = streams.input;
    this.output = streams.output;
  }

  /**
   * Ask one question. Invalid answers are re-asked by inquirer with `validate`'s message; Ctrl-C
   * rejects with inquirer's ExitPromptError.
   */
  async ask<T>(question: WizardQuestion): Promise<T> {
    // Each prompt ends the stream it writes to; a fresh pipe per prompt keeps `output` open
    // (and passes on the terminal's width, which inquirer wraps lines at).
    const output = Object.assign(new PassThrough(), { columns: (this.output as { columns?: number }).columns });
    output.pipe(this.output, { end: false });
    const prompt = createPromptModule({ input: this.input, output });
    const answers = (await prompt([{ ...question, name: 'answer' } as DistinctQuestion])) as { answer: T };
    return answers.answer;
  }

  print(text = ''): void {
    this.output.write(text + '\n');
  }
}

/** Whether an error is inquirer's "the user pressed Ctrl-C (or closed the terminal) at a prompt". */
export function isPromptExit(err: unknown): boolean {
  return err instanceof Error && err.name === 'ExitPromptError';
}
