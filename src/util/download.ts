import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.ts';

/** A file we download and verify: where it comes from and what its bytes must hash to. */
export interface RemoteFile {
  /** Absolute http(s) URL. */
  url: string;
  /** Where the verified file lands; the download runs in `<path>.part` beside it. */
  path: string;
  /** Expected md5 of the whole file (lowercase hex). */
  md5: string;
  /** Expected size in bytes (the progress total, and a `.part` that reached it is checked, not re-requested). */
  size: number;
}

/** What a download did, for progress display. */
export type DownloadEvent =
  | { type: 'present'; path: string }
  | { type: 'replace'; path: string; gotMd5: string }
  | { type: 'start'; path: string; url: string; offset: number; total: number }
  | { type: 'progress'; path: string; received: number; total: number }
  | { type: 'verify'; path: string }
  | { type: 'done'; path: string };

/** How a file came to be in place. */
export type DownloadStatus = 'present' | 'downloaded' | 'resumed';

/** Options for {@link downloadVerified}. */
export interface DownloadOptions {
  /** Give up when no connection is established within this many ms (DNS included). Default 10000. */
  connectTimeoutMs?: number;
  /** Give up when an open connection sends nothing for this many ms. Default 30000. */
  idleTimeoutMs?: number;
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number;
  /** Receives progress events. Default: none. */
  onEvent?: (event: DownloadEvent) => void;
}

type Limits = Required<Omit<DownloadOptions, 'onEvent'>>;

const DEFAULTS: Limits = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxRedirects: 5,
};

/** Network failures that mean "cannot reach the server": offline, DNS, refused, unreachable, timed out. */
const UNREACHABLE = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH',
  'ETIMEDOUT', 'EPIPE', 'ECONNABORTED',
]);

/** md5 of a file's bytes, lowercase hex. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The sentence every failure ends with: the user can always place the file by hand. */
function manualHint(file: RemoteFile): string {
  return `put the file at ${resolve(file.path)} by hand (md5 ${file.md5}, ${file.size} bytes)`;
}

/**
 * Make `file.path` hold the verified file. A file already there with the right md5 is kept. Otherwise
 * the bytes go to `<path>.part`, continuing an earlier partial download with an HTTP Range request
 * (from zero if the server ignores it), and the `.part` is renamed into place only once its md5 matches,
 * so `path` never holds a partial or wrong file. Unreachable servers fail fast with a UserError that says
 * where to put the file by hand; a checksum mismatch deletes the `.part` and names both md5s.
 */
export async function downloadVerified(file: RemoteFile, options: DownloadOptions = {}): Promise<DownloadStatus> {
  // Field by field, so an option passed as undefined still gets its default.
  const opts = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxRedirects: options.maxRedirects ?? DEFAULTS.maxRedirects,
  };
  const emit = options.onEvent ?? (() => {});
  await mkdir(dirname(file.path), { recursive: true });

  if ((await sizeOf(file.path)) !== undefined) {
    const got = await md5File(file.path);
    if (got === file.md5) {
      emit({ type: 'present', path: file.path });
      return 'present';
    }
    // Keras's get_file does the same: a stale or corrupt copy is replaced (only once the new one verifies).
    emit({ type: 'replace', path: file.path, gotMd5: got });
  }

  const part = `${file.path}.part`;
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > file.size) {
    await rm(part);
    offset = 0;
  }
  // A .part that already has every byte (a run stopped before the rename) needs no request at all.
  const status: DownloadStatus = offset === file.size ? 'resumed' : await transfer(file, part, offset, opts, emit);

  emit({ type: 'verify', path: file.path });
  const got = await md5File(part);
  if (got !== file.md5) {
    const size = await sizeOf(part);
    await rm(part, { force: true });
    throw new UserError(
      `md5 mismatch for ${resolve(file.path)} from ${file.url}: expected ${file.md5} (${file.size} bytes), ` +
        `got ${got} (${size} bytes); the partial download was deleted — run again, or ${manualHint(file)}`,
    );
  }
  await rename(part, file.path);
  emit({ type: 'done', path: file.path });
  return status;
}

/** Fetch the bytes after `offset` into `part`; returns whether it resumed or started over. */
async function transfer(
  file: RemoteFile,
  part: string,
  offset: number,
  opts: Limits,
  emit: (event: DownloadEvent) => void,
): Promise<DownloadStatus> {
  const res = await request(file, offset, opts);
  const resumed = res.statusCode === 206;
  if (resumed) {
    const start = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1];
    if (Number(start) !== offset) {
      res.destroy();
      throw new UserError(
        `${file.url} answered a request for bytes ${offset}- with range "${res.headers['content-range']}"; ` +
          `delete ${resolve(part)} and run again, or ${manualHint(file)}`,
      );
    }
  }
  // 200 means the server sent the whole file (it ignored our Range, or we sent none): start over.
  let received = resumed ? offset : 0;
  emit({ type: 'start', path: file.path, url: file.url, offset: received, total: file.size });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      emit({ type: 'progress', path: file.path, received, total: file.size });
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  } catch (err) {
    throw new UserError(
      `download of ${file.url} stopped after ${received} of ${file.size} bytes (${reason(err)}); ` +
        `run again to resume from ${resolve(part)}, or ${manualHint(file)}`,
    );
  }
  return resumed ? 'resumed' : 'downloaded';
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** GET `file.url` (following redirects) with a Range header when resuming; resolves on a 200 or 206. */
async function request(
  file: RemoteFile,
  offset: number,
  opts: Limits,
): Promise<http.IncomingMessage> {
  let url = new URL(file.url);
  for (let hop = 0; hop <= opts.maxRedirects; hop++) {
    const res = await get(url, offset, opts).catch((err: unknown) => {
      if (err instanceof UserError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const offline = code !== undefined && UNREACHABLE.has(code);
      throw new UserError(
        `cannot download ${url.href} (${reason(err)}${offline ? '; offline?' : ''}): get it another way and ${manualHint(file)}`,
      );
    });
    const status = res.statusCode ?? 0;
    if (status === 200 || status === 206) return res;
    res.resume();
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    throw new UserError(`cannot download ${url.href} (HTTP ${status} ${res.statusMessage ?? ''}): get it another way and ${manualHint(file)}`);
  }
  throw new UserError(`cannot download ${file.url} (more than ${opts.maxRedirects} redirects): ${manualHint(file)}`);
}

/** One GET with a connect timeout (covers DNS and TCP/TLS set-up) and an idle timeout once connected. */
function get(url: URL, offset: number, opts: Limits): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new UserError(`cannot download ${url.href}: only http and https URLs are supported`));
  return new Promise((resolvePromise, reject) => {
    const headers: http.OutgoingHttpHeaders = offset > 0 ? { range: `bytes=${offset}-` } : {};
    // agent: false — one connection per download, so no pooled socket keeps the process alive afterwards.
    const req = client.get(url, { headers, agent: false, timeout: opts.idleTimeoutMs });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`no connection within ${opts.connectTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
      }, opts.connectTimeoutMs);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('timeout', () => {
      req.destroy(Object.assign(new Error(`no data for ${opts.idleTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    });
    req.on('response', resolvePromise);
    req.on('error', reject);
  });
}
