import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { UserError } from '../src/errors.ts';
import { downloadVerified, md5File, type RemoteFile } from '../src/util/download.ts';
import { tempDir } from './helpers/temp-dir.ts';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

interface ServerOptions {
  /** Answer Range requests with 206 (true) or ignore them and send everything with 200 (false). */
  ranges?: boolean;
  /** Awaited after the first half of a body is sent, before the rest. */
  midway?: () => Promise<void>;
}

/** An http server on a free port of 127.0.0.1. */
async function listen(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: `${base}/file.bin`,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

/** A local file server for `body`, recording every Range header it receives. */
async function serve(body: Buffer, options: ServerOptions = {}) {
  const ranges: (string | undefined)[] = [];
  const server = await listen((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/file.bin' }).end();
      return;
    }
    ranges.push(req.headers.range);
    let slice = body;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && options.ranges !== false) {
      const start = Number(m[1]);
      slice = body.subarray(start);
      res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': slice.length });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    const half = Math.floor(slice.length / 2);
    res.write(slice.subarray(0, half), async () => {
      await options.midway?.();
      res.end(slice.subarray(half));
    });
  });
  return { ...server, ranges };
}

async function setup(t: { teardown: (fn: () => Promise<void>) => void }) {
  const dir = await tempDir('tk-download-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const body = randomBytes(300_000);
  const spec = (url: string): RemoteFile => ({ url, path: join(dir, 'file.bin'), md5: md5(body), size: body.length });
  return { dir, body, spec };
}

test('full download lands only after it completes, with the right bytes', async (t) => {
  const { dir, body, spec } = await setup(t);
  let midwayPartSize = 0;
  let midwayTargetExists = true;
  const server = await serve(body, {
    // Wait until the first half has reached the .part on disk, then look for the target.
    midway: async () => {
      for (let i = 0; i < 500 && midwayPartSize === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        midwayPartSize = existsSync(join(dir, 'file.bin.part')) ? (await stat(join(dir, 'file.bin.part'))).size : 0;
      }
      midwayTargetExists = existsSync(join(dir, 'file.bin'));
    },
  });
  t.teardown(server.close);
  const events: string[] = [];
  const status = await downloadVerified(spec(server.url), { onEvent: (e) => events.push(e.type) });
  t.is(status, 'downloaded');
  t.true(midwayPartSize > 0 && midwayPartSize < body.length, 'mid-transfer the bytes are in .part');
  t.false(midwayTargetExists, 'mid-transfer the target does not exist');
  t.deepEqual(await readFile(join(dir, 'file.bin')), body);
  t.deepEqual(await readdir(dir), ['file.bin']);
  t.deepEqual(server.ranges, [undefined]);
  t.is(events[0], 'start');
  t.true(events.includes('progress'));
  t.is(events.at(-1), 'done');
});

test('a partial .part is resumed with a Range request and completes to identical bytes', async (t) => {
  const { dir, body, spec } = await setup(t);
  await writeFile(join(dir, 'file.bin.part'), body.subarray(0, 123_457));
  const server = await serve(body);
  t.teardown(server.close);
  t.is(await downloadVerified(spec(server.url)), 'resumed');
  t.deepEqual(server.ranges, ['bytes=123457-']);
  t.deepEqual(await readFile(join(dir, 'file.bin')), body);
  t.false(existsSync(join(dir, 'file.bin.part')));
});

test('a server that ignores Range (200) restarts the file from zero', async (t) => {
  const { dir, body, spec } = await setup(t);
  await writeFile(join(dir, 'file.bin.part'), body.subarray(0, 100_000));
  const server = await serve(body, { ranges: false });
  t.teardown(server.close);
  t.is(await downloadVerified(spec(server.url)), 'downloaded');
  t.deepEqual(server.ranges, ['bytes=100000-']);
  t.deepEqual(await readFile(join(dir, 'file.bin')), body, 'not the old part with the whole file appended');
});

test('an md5 mismatch fails naming both md5s, deletes the .part and leaves no file', async (t) => {
  const { dir, body, spec } = await setup(t);
  const served = Buffer.from(body);
  served[1000] = served[1000]! ^ 0xff;
  const server = await serve(served);
  t.teardown(server.close);
  const err = await t.throwsAsync(downloadVerified(spec(server.url)), { instanceOf: UserError });
  t.true(err.message.includes(`expected ${md5(body)}`), err.message);
  t.true(err.message.includes(`got ${md5(served)}`), err.message);
  t.deepEqual(await readdir(dir), []);
});

test('an unreachable server fails fast with a UserError naming the path and md5', async (t) => {
  const { dir, spec } = await setup(t);
  // A port that was just free: nothing listens, so the connection is refused.
  const closed = await serve(Buffer.alloc(1));
  await closed.close();
  const file = spec(closed.url);
  const err = await t.throwsAsync(downloadVerified(file), { instanceOf: UserError });
  t.true(err.message.includes('ECONNREFUSED'), err.message);
  t.true(err.message.includes(join(dir, 'file.bin')), err.message);
  t.true(err.message.includes(file.md5), err.message);
  t.false(err.message.includes('\n'));
  t.deepEqual(await readdir(dir), []);
});

test('a server that accepts but never answers times out with a UserError', async (t) => {
  const { spec } = await setup(t);
  const server = await listen(() => {});
  t.teardown(server.close);
  const err = await t.throwsAsync(downloadVerified(spec(server.url), { idleTimeoutMs: 200 }), { instanceOf: UserError });
  t.true(err.message.includes('ETIMEDOUT'), err.message);
});

test('a file already present with the right md5 is kept without a request', async (t) => {
  const { dir, body, spec } = await setup(t);
  await writeFile(join(dir, 'file.bin'), body);
  const server = await serve(body);
  t.teardown(server.close);
  t.is(await downloadVerified(spec(server.url)), 'present');
  t.deepEqual(server.ranges, []);
});

test('a present file with the wrong md5 is replaced by a verified download', async (t) => {
  const { dir, body, spec } = await setup(t);
  await writeFile(join(dir, 'file.bin'), 'stale');
  const server = await serve(body);
  t.teardown(server.close);
  const events: string[] = [];
  t.is(await downloadVerified(spec(server.url), { onEvent: (e) => events.push(e.type) }), 'downloaded');
  t.is(events[0], 'replace');
  t.is(await md5File(join(dir, 'file.bin')), md5(body));
});

test('a complete .part left by an interrupted run is verified and moved without a request', async (t) => {
  const { dir, body, spec } = await setup(t);
  await writeFile(join(dir, 'file.bin.part'), body);
  const server = await serve(body);
  t.teardown(server.close);
  t.is(await downloadVerified(spec(server.url)), 'resumed');
  t.deepEqual(server.ranges, []);
  t.deepEqual(await readFile(join(dir, 'file.bin')), body);
});

test('redirects are followed', async (t) => {
  const { dir, body, spec } = await setup(t);
  const server = await serve(body);
  t.teardown(server.close);
  t.is(await downloadVerified(spec(`${server.base}/moved`)), 'downloaded');
  t.deepEqual(await readFile(join(dir, 'file.bin')), body);
});

test('an HTTP error status fails with a UserError and the manual placement hint', async (t) => {
  const { dir, spec } = await setup(t);
  const server = await listen((_req, res) => res.writeHead(404).end());
  t.teardown(server.close);
  const err = await t.throwsAsync(downloadVerified(spec(server.url)), { instanceOf: UserError });
  t.true(err.message.includes('HTTP 404'), err.message);
  t.true(err.message.includes(join(dir, 'file.bin')), err.message);
});
