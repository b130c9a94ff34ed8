import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { DownloadEvent } from '../../util/download.ts';
import { wantsBars, writeLine, type Output } from './output.ts';

const MB = 1024 * 1024;
/** Without a TTY, one progress line per this many ms (logs stay readable). */
const LINE_INTERVAL_MS = 5_000;

/** A bar with MB/s and ETA on a terminal; a line every few seconds otherwise. */
export function downloadProgress(out: Output = process.stderr): (event: DownloadEvent) => void {
  const tty = wantsBars(out);
  let bar: cliProgress.SingleBar | undefined;
  let startedAt = 0;
  let offset = 0;
  let lastLine = 0;
  const rate = (received: number) => (received - offset) / MB / Math.max((Date.now() - startedAt) / 1000, 1e-3);
  return (event) => {
    const name = basename(event.path);
    switch (event.type) {
      case 'present':
        writeLine(out, `${name}: already present, md5 ok`);
        break;
      case 'replace':
        writeLine(out, `${name}: present but md5 is ${event.gotMd5}; downloading it again`);
        break;
      case 'start':
        startedAt = Date.now();
        offset = event.offset;
        writeLine(out, `${name}: ${event.offset > 0 ? `resuming at ${(event.offset / MB).toFixed(1)} MB from` : 'downloading'} ${event.url}`);
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: '  [{bar}] {percentage}% {got}/{size} MB {speed} MB/s ETA {eta_formatted}', stream: out },
            cliProgress.Presets.shades_classic,
          );
          bar.start(event.total, event.offset, { got: (event.offset / MB).toFixed(1), size: (event.total / MB).toFixed(1), speed: '0.0' });
        }
        lastLine = Date.now();
        break;
      case 'progress':
        if (bar) {
          bar.update(event.received, { got: (event.received / MB).toFixed(1), speed: rate(event.received).toFixed(1) });
        } else if (Date.now() - lastLine >= LINE_INTERVAL_MS) {
          lastLine = Date.now();
          const pct = ((100 * event.received) / event.total).toFixed(0);
          const eta = (event.total - event.received) / MB / Math.max(rate(event.received), 1e-6);
          writeLine(out, `  ${pct}% ${(event.received / MB).toFixed(1)}/${(event.total / MB).toFixed(1)} MB ${rate(event.received).toFixed(1)} MB/s ETA ${eta.toFixed(0)} s`);
        }
        break;
      case 'verify':
        bar?.stop();
        bar = undefined;
        break;
      case 'done':
        writeLine(out, `${name}: md5 ok, saved to ${event.path}`);
        break;
    }
  };
}
