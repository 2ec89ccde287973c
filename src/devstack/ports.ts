import net from 'node:net';

/** A port that was free a moment ago (the kernel's choice for port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free (a port people can remember), else any free port. */
export function preferredPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(freePort(host)));
    srv.listen(preferred, host, () => srv.close(() => resolve(preferred)));
  });
}

/** Resolves with the first bytes the server sends once it accepts connections. */
export function waitForGreeting(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<string> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = net.connect({ host, port });
      s.once('data', (b) => {
        s.destroy();
        resolve(b.toString());
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() - t0 > timeoutMs) reject(new Error(`nothing answers on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}
