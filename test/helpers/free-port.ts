import { createServer } from 'node:net';

/** A loopback port nothing listens on right now (bound, then closed): connections there are refused at once. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}
