// @ts-check
/**
 * The HTTP server both emulators run: listening, keep-alive that suits workerd, an internal error
 * answered rather than a dropped socket, and fault delays that a close cuts short.
 */
import http from 'node:http';

/** Waits that `close` wakes, so a test never hangs on an injected timeout. */
export function sleeper() {
  /** @type {Set<() => void>} */
  const sleepers = new Set();
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    /** @param {number} ms */
    sleep: (ms) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve(undefined);
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      }),
    close() {
      closed = true;
      for (const wake of [...sleepers]) wake();
    },
  };
}

/**
 * Listens on `port` (0: a free one) and answers with `handle`; one that throws is logged under
 * `label` and answered by `onError` when nothing was sent yet.
 * @param {{ port: number, host: string, label: string, serverOptions?: http.ServerOptions,
 *   handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
 *   onError: (res: http.ServerResponse) => void, sleeps: ReturnType<typeof sleeper> }} o
 */
export async function listen(o) {
  const server = http.createServer(o.serverOptions ?? {}, (req, res) => {
    o.handle(req, res).catch((e) => {
      console.error(`[${o.label}] internal error`, e);
      if (!res.headersSent) o.onError(res);
    });
  });
  // workerd keeps connections alive and reuses them; Node closes idle ones after 5 s by
  // default, and a request sent just as the socket closes fails as "Network connection lost".
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    async close() {
      if (o.sleeps.closed) return;
      o.sleeps.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
