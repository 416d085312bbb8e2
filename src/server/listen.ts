// Starts the HTTP API on a port. `close()` stops accepting connections, ends live streams, lets
// requests in flight finish, then resolves. The service (and its worker) stays open: its owner
// closes it.
import type { AddressInfo, Socket } from 'node:net';
import type { BatonApi } from '../service/api.ts';
import { buildServer, type ServerOptions } from './app.ts';

export interface ListenOptions extends ServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(baton: BatonApi, options: ListenOptions): Promise<RunningServer> {
  const { port, host = '127.0.0.1', ...rest } = options;
  const app = buildServer(baton, { uses: await baton.useSchemas(), ...rest });
  // Node does not always see a keep-alive connection as idle at shutdown (then close() waits
  // for the client's own timeout), so connections are tracked here: those idle between
  // requests are closed at once, busy ones as soon as their response is done. A connection
  // that has not sent its first request yet may be about to: it is left to finish.
  const sockets = new Map<Socket, { busy: number; served: number }>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    sockets.set(socket, { busy: 0, served: 0 });
    socket.once('close', () => sockets.delete(socket));
  });
  app.server.on('request', (req, res) => {
    const state = sockets.get(req.socket);
    if (!state) return;
    state.busy++;
    res.once('close', () => {
      state.busy--;
      state.served++;
      if (closing && state.busy === 0) req.socket.destroySoon();
    });
  });
  await app.listen({ port, host });
  const addr = app.server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let done: Promise<void> | undefined;
  return {
    url: `http://${shown}:${addr.port}`,
    port: addr.port,
    close: () =>
      (done ??= (async () => {
        closing = true;
        const closed = app.close();
        for (const [socket, st] of sockets) if (st.busy === 0 && st.served > 0) socket.destroySoon();
        await closed;
      })()),
  };
}
