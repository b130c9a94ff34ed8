import type cliProgress from 'cli-progress';

/** A renderer's one bar at a time, which Ctrl-C stops for good before any message is printed. */
export abstract class BarRenderer {
  protected bar: cliProgress.SingleBar | undefined;
  protected closed = false;

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Stop the bar (cursor and line wrap restored) and draw no new one: on Ctrl-C, before any message. */
  close = (): void => {
    this.closed = true;
    this.stop();
  };
}
