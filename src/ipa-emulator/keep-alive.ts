/**
 * Idle keep-alive connections closed the way Apache closes them: after
 * KeepAliveTimeout (5 s) without a request, a proper TLS shutdown
 * (close_notify, then FIN). Node's own keep-alive timeout destroys the
 * socket instead, and Python's ssl module then fails the client's next call
 * on that connection with "EOF occurred in violation of protocol" where a
 * clean close would have let it reconnect.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export function closeIdleConnectionsCleanly(server: Server, idleMs: number): (req: IncomingMessage, res: ServerResponse) => void {
  server.keepAliveTimeout = 0;
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const disarm = (socket: Socket) => {
    clearTimeout(timers.get(socket));
    timers.delete(socket);
  };
  const arm = (socket: Socket) => {
    disarm(socket);
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.end(), idleMs);
    timer.unref();
    timers.set(socket, timer);
  };
  const secure = 'setSecureContext' in server;
  server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
    arm(socket);
    socket.once('close', () => disarm(socket));
  });
  return (req, res) => {
    disarm(req.socket);
    res.once('finish', () => arm(req.socket));
  };
}
