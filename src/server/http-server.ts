/**
 * The HTTP server under the Koa app, with the limits a slow or idle client
 * meets. Node closes a request whose headers or body arrive too slowly
 * (headersTimeout, requestTimeout), but only once it has begun: a connection
 * that sends nothing at all is never timed out by node, so it is closed here
 * when no request has arrived within the header timeout. maxConnections
 * closes connections past the cap on arrival.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/types.js';

export function createHttpServer(listener: RequestListener, limits: Config['server']): Server {
  const server = createServer(
    {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks those two timeouts this often; keep it well under the shorter one.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headerTimeoutMs / 4))),
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = 65_000; // longer than Nova's requests session idles, so it reuses connections

  const silent = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.headerTimeoutMs);
    timer.unref();
    silent.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req) => {
    const timer = silent.get(req.socket);
    if (timer) {
      clearTimeout(timer);
      silent.delete(req.socket);
    }
  });
  return server;
}
