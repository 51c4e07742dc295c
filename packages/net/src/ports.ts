import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read what
 * the kernel chose, release it. For tests and benches that must hand a port
 * to a child process before it starts (etcd flags, Prometheus targets); a
 * process that can report its own bound address should listen on port 0.
 */
export async function freeLoopbackPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
