/** Where a renderer writes: stderr for the commands, the wizard's terminal for the wizard. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean };

/** Whether `out` gets bars (a terminal, and not `--quiet`) or lines. */
export function wantsBars(out: Output, quiet = false): boolean {
  return !quiet && out.isTTY === true;
}

/** One line on `out`. */
export function writeLine(out: Output, line: string): void {
  out.write(line + '\n');
}
