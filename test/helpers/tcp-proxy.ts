import net from 'node:net';
import { findFreePort } from '../../runtime/free-port';

export type ProxyMode = 'open' | 'refused' | 'blackhole';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /**
   * open: forwards. refused: nothing listens (ECONNREFUSED) and open connections are reset.
   * blackhole: connections are accepted and never answered, open ones are reset.
   */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a server (PostgreSQL in the outage tests): it makes the server
 * unreachable for one client and reachable again on the same address, without touching the
 * server that other tests use.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await findFreePort();
  const sockets = new Set<net.Socket>();
  let mode: ProxyMode = 'open';
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'blackhole') return;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };
  await listen();
  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    async setMode(next) {
      if (next === mode) return;
      const wasListening = mode !== 'refused';
      mode = next;
      if (next !== 'open') resetAll();
      if (next === 'refused' && wasListening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (next !== 'refused' && !wasListening) await listen();
    },
    async close() {
      resetAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
