import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { explainListenError } from '../listen.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';
import type { NotificationConsumer } from './consumer.js';

/**
 * `GET /healthz` (200 while consuming, 503 otherwise, body = the status JSON)
 * and `GET /metrics` (Prometheus text) of novajoin-notify, on node:http: two
 * routes do not need a framework.
 */
export interface HealthServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(consumer: NotificationConsumer, host: string, port: number): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      const status = consumer.status();
      const body = `${JSON.stringify({ state: status.state, since: status.since, inFlight: status.inFlight, lastMessageAt: status.lastMessageAt })}\n`;
      res.writeHead(status.state === 'consuming' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/metrics') {
      consumer.renderMetrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  // Scrapers are local and quick; a stuck client must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      try {
        explainListenError(error, host, port, '[notifications] metrics_port');
      } catch (explained) {
        reject(explained);
      }
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
