/**
 * The OpenStack `novajoin dev` stands in for, on loopback: the few Keystone,
 * Nova and Glance calls novajoin makes, answered in their real shapes, so
 * that `novajoin resync` and `novajoin check` run unchanged against dev.
 *
 * - Keystone v3: password authentication of the one service user dev writes
 *   into join.conf ([service_credentials]), a catalog naming this server,
 *   and project reads (a project's name is its id: dev has no projects).
 * - Nova v2.1: the instances of DevInstances, paged as Nova pages them, and
 *   DELETE /servers/{id}, which sends no notification (see instances.ts) and,
 *   being the operator's knob rather than novajoin's, needs no token.
 * - Glance v2: no images (every image read is 404, as for a deleted image).
 *
 * Not an OpenStack: no policy, no microversion negotiation, one region.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { novaServerBody, type DevInstances } from './instances.js';

export interface DevCloudOptions {
  readonly instances: DevInstances;
  readonly username: string;
  readonly password: string;
  readonly host?: string;
}

export interface DevCloud {
  /** Keystone's auth_url: http://127.0.0.1:<port>/v3 */
  readonly authUrl: string;
  /** Nova's endpoint: http://127.0.0.1:<port>/compute/v2.1 */
  readonly computeUrl: string;
  close(): Promise<void>;
}

const TOKEN_LIFETIME_MS = 3600_000;
const MAX_BODY = 64 * 1024;

export async function startDevCloud(options: DevCloudOptions): Promise<DevCloud> {
  const tokens = new Map<string, number>();
  let base = '';
  const catalog = () => [
    { type: 'identity', name: 'keystone', path: '/v3' },
    { type: 'compute', name: 'nova', path: '/compute/v2.1' },
    { type: 'image', name: 'glance', path: '/image' },
  ].map((s) => ({ type: s.type, name: s.name, endpoints: ['public', 'internal', 'admin'].map((i) => ({ interface: i, region_id: 'RegionOne', region: 'RegionOne', url: `${base}${s.path}` })) }));

  const authorized = (req: IncomingMessage) => {
    const expires = tokens.get(String(req.headers['x-auth-token'] ?? ''));
    return expires !== undefined && expires > Date.now();
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/\/+$/, '');
    if (req.method === 'POST' && path === '/v3/auth/tokens') return issueToken(await readBody(req), res);
    const server = /^\/compute\/v2\.1\/servers\/([^/]+)$/.exec(path);
    // The operator's knob, not novajoin's: deleting needs no token, so one curl line does it.
    if (req.method === 'DELETE' && server?.[1]) {
      return options.instances.delete(decodeURIComponent(server[1])) ? send(res, 204, null) : notFound(res, decodeURIComponent(server[1]));
    }
    if (!authorized(req)) return send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const project = /^\/v3\/projects\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && project?.[1]) {
      const id = decodeURIComponent(project[1]);
      if (!options.instances.projects().includes(id) && id !== 'service') return send(res, 404, { error: { code: 404, title: 'Not Found', message: `Could not find project: ${id}.` } });
      return send(res, 200, { project: { id, name: id, domain_id: 'default', enabled: true } });
    }
    if (req.method === 'GET' && path === '/compute/v2.1/servers/detail') return listServers(url, res);
    if (req.method === 'GET' && server?.[1]) {
      const instance = options.instances.get(decodeURIComponent(server[1]));
      return instance ? send(res, 200, { server: novaServerBody(instance) }) : notFound(res, decodeURIComponent(server[1]));
    }
    if (req.method === 'GET' && /^\/image\/v2\/images\/[^/]+$/.test(path)) return send(res, 404, { message: 'No image found', code: '404 Not Found' });
    return send(res, 404, { error: { code: 404, message: `${req.method} ${path} is not part of what novajoin dev answers` } });
  }

  function issueToken(body: unknown, res: ServerResponse): void {
    const user = (body as { auth?: { identity?: { password?: { user?: { name?: unknown; password?: unknown } } } } })?.auth?.identity?.password?.user;
    if (user?.name !== options.username || user.password !== options.password) {
      return send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    }
    const token = randomBytes(24).toString('base64url');
    const expires = Date.now() + TOKEN_LIFETIME_MS;
    tokens.set(token, expires);
    res.setHeader('X-Subject-Token', token);
    send(res, 201, {
      token: {
        methods: ['password'],
        expires_at: new Date(expires).toISOString(),
        user: { id: options.username, name: options.username, domain: { id: 'default', name: 'Default' } },
        project: { id: 'service', name: 'service', domain: { id: 'default', name: 'Default' } },
        roles: [{ id: 'admin', name: 'admin' }],
        catalog: catalog(),
      },
    });
  }

  function listServers(url: URL, res: ServerResponse): void {
    const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit')) || 1000));
    const marker = url.searchParams.get('marker');
    const all = options.instances.list();
    const start = marker ? all.findIndex((i) => i.id === marker) + 1 : 0;
    if (marker && start === 0) return send(res, 400, { badRequest: { code: 400, message: `marker [${marker}] not found` } });
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    send(res, 200, {
      servers: page.map(novaServerBody),
      ...(more ? { servers_links: [{ rel: 'next', href: `${base}/compute/v2.1/servers/detail?limit=${limit}&marker=${page.at(-1)?.id}` }] } : {}),
    });
  }

  const server = createServer((req, res) => {
    route(req, res).catch(() => send(res, 400, { error: { code: 400, message: 'malformed request' } }));
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  base = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  return {
    authUrl: `${base}/v3`,
    computeUrl: `${base}/compute/v2.1`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new Error('body too large');
  }
  return text ? JSON.parse(text) : null;
}

function notFound(res: ServerResponse, id: string): void {
  send(res, 404, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, body === null ? {} : { 'Content-Type': 'application/json' });
  res.end(body === null ? undefined : JSON.stringify(body));
}
