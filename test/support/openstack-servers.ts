/**
 * Keystone, Nova, Glance and Neutron as small real HTTP servers on 127.0.0.1
 * (free ports), answering as nova-wire.md describes: the same paths, status
 * codes, headers and body shapes as the real services for the calls novajoin
 * makes. They share one in-memory identity state, the way the real services
 * share Keystone, so a token revoked here is refused by all four.
 *
 * Each can be switched to refuse connections, answer 500 or hang, and counts
 * the calls it served, so tests can check caching and coalescing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KeystoneCredentials } from '../../src/config/types.js';

export type ServiceName = 'keystone' | 'nova' | 'glance' | 'neutron';
/** up: normal; refuse: nothing listens on the port; error: HTTP 500; hang: never answers. */
export type Mode = 'up' | 'refuse' | 'error' | 'hang';

export interface StartOptions {
  /** Lifetime of issued tokens (default one hour). */
  readonly tokenTtlMs?: number;
  readonly region?: string;
  /** Nova's [api] max_limit (default 1000). */
  readonly maxLimit?: number;
  /** Serve HTTPS with this certificate and key (PEM files), e.g. from makeTestCa. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface TestProject {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
}

export interface TestUser {
  readonly id: string;
  readonly name: string;
  readonly password: string;
  readonly domainId: string;
  /** project id -> role names */
  readonly roles: Map<string, string[]>;
}

interface TokenRecord {
  readonly userId: string;
  readonly projectId: string | null;
  readonly issuedAt: number;
  readonly expiresAt: number;
  revoked: boolean;
  /** Set for a token from an application credential restricted by access rules. */
  readonly accessRules?: ReadonlyArray<{ service: string; method: string; path: string }>;
}

export interface ServerSpec {
  readonly id?: string;
  readonly name: string;
  /** `OS-EXT-SRV-ATTR:hostname`; defaults to the name. */
  readonly hostname?: string;
  readonly projectId: string;
  readonly userId?: string;
  readonly metadata?: Record<string, string>;
  /** '' for boot from volume. */
  readonly imageId?: string;
  readonly status?: string;
  readonly addresses?: Record<string, { addr: string; version: number; type?: 'fixed' | 'floating'; mac?: string }[]>;
}

export interface ImageSpec {
  readonly id?: string;
  readonly name?: string;
  readonly owner?: string;
  readonly visibility?: 'public' | 'private' | 'shared' | 'community';
  /** Custom properties (top-level string keys in Glance's answer). */
  readonly properties?: Record<string, string>;
}

export interface PortSpec {
  readonly id?: string;
  readonly deviceId: string;
  readonly deviceOwner?: string;
  readonly projectId: string;
  readonly networkId?: string;
  readonly fixedIps?: { ipAddress: string; subnetId?: string }[];
}

export interface Counters {
  issued: number;
  validations: number;
  projectLookups: number;
  imageGets: number;
  serverLists: number;
  serverGets: number;
  portLists: number;
}

const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };
const ADMIN_ROLES = new Set(['admin']);
const VALIDATOR_ROLES = new Set(['admin', 'service']);
const MAX_MICROVERSION = [2, 93] as const;

/** A node:http server that can be switched off, to 500, or to never answering. */
class SwitchableServer {
  readonly server: http.Server;
  mode: Mode = 'up';
  port = 0;
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(
    handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
    private readonly tls?: { readonly cert: Buffer; readonly key: Buffer },
  ) {
    const listener: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.mode === 'hang') {
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        }
        if (this.mode === 'error') {
          send(res, 500, { error: { code: 500, title: 'Internal Server Error', message: 'An unexpected error prevented the server from fulfilling your request.' } });
          return;
        }
        try {
          handler(req, Buffer.concat(chunks).toString('utf8'), res);
        } catch (error) {
          send(res, 500, { error: { code: 500, message: String(error) } });
        }
      });
    };
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
    this.server.keepAliveTimeout = 1000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async setMode(mode: Mode): Promise<void> {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'refuse' && previous !== 'refuse') await this.close();
    if (mode !== 'refuse' && previous === 'refuse') await this.listen();
    if (mode !== 'hang') for (const res of this.hanging) res.destroy();
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=UTF-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function keystoneError(res: http.ServerResponse, code: number, title: string, message: string): void {
  send(res, code, { error: { code, title, message } });
}

/** Keystone writes microseconds: 2026-11-23T18:35:48.000000Z */
function isoMicro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function hex32(): string {
  return randomUUID().replaceAll('-', '');
}

export async function startOpenStack(options: StartOptions = {}) {
  const tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
  const region = options.region ?? 'RegionOne';
  const maxLimit = options.maxLimit ?? 1000;
  const counters: Counters = { issued: 0, validations: 0, projectLookups: 0, imageGets: 0, serverLists: 0, serverGets: 0, portLists: 0 };

  const projectsById = new Map<string, TestProject>();
  const usersById = new Map<string, TestUser>();
  const tokens = new Map<string, TokenRecord>();
  const servers = new Map<string, Record<string, unknown>>();
  const images = new Map<string, Record<string, unknown>>();
  const ports = new Map<string, Record<string, unknown>>();

  const addProject = (name: string, id = hex32()): TestProject => {
    const project = { id, name, domainId: DEFAULT_DOMAIN.id };
    projectsById.set(id, project);
    return project;
  };
  const projectByName = (name: string) => [...projectsById.values()].find((p) => p.name === name);
  const userByName = (name: string) => [...usersById.values()].find((u) => u.name === name);

  const addUser = (name: string, password: string, grants: Record<string, string[]> = {}): TestUser => {
    const user: TestUser = { id: hex32(), name, password, domainId: DEFAULT_DOMAIN.id, roles: new Map() };
    for (const [projectName, roles] of Object.entries(grants)) {
      const project = projectByName(projectName) ?? addProject(projectName);
      user.roles.set(project.id, roles);
    }
    usersById.set(user.id, user);
    return user;
  };

  const projects = {
    service: addProject('service'),
    demo: addProject('demo'),
    admin: addProject('admin'),
  };
  const users = {
    nova: addUser('nova', 'nova-secret', { service: ['admin', 'service'] }),
    novajoin: addUser('novajoin', 'novajoin-secret', { service: ['admin', 'service'] }),
    demo: addUser('demo', 'demo-secret', { demo: ['member', 'reader'] }),
    admin: addUser('admin', 'admin-secret', { admin: ['admin'] }),
  };

  const tls = options.tls ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) } : undefined;
  const keystone = new SwitchableServer(handleKeystone, tls);
  const nova = new SwitchableServer(handleNova, tls);
  const glance = new SwitchableServer(handleGlance, tls);
  const neutron = new SwitchableServer(handleNeutron, tls);
  const all = { keystone, nova, glance, neutron };
  await Promise.all(Object.values(all).map((server) => server.listen()));

  // ---- identity state ------------------------------------------------------

  function issue(user: TestUser, projectId: string | null, ttlMs = tokenTtlMs, accessRules?: TokenRecord['accessRules']): { token: string; expiresAt: number } {
    const token = `gAAAAAB${randomBytes(120).toString('base64url')}`;
    const now = Date.now();
    tokens.set(token, { userId: user.id, projectId, issuedAt: now, expiresAt: now + ttlMs, revoked: false, ...(accessRules ? { accessRules } : {}) });
    counters.issued++;
    return { token, expiresAt: now + ttlMs };
  }

  function live(token: string | undefined): TokenRecord | undefined {
    const record = token ? tokens.get(token.trim()) : undefined;
    if (!record || record.revoked || record.expiresAt <= Date.now()) return undefined;
    return record;
  }

  function rolesOf(record: TokenRecord): string[] {
    const user = usersById.get(record.userId);
    return record.projectId && user ? user.roles.get(record.projectId) ?? [] : [];
  }

  function isAdmin(record: TokenRecord): boolean {
    return rolesOf(record).some((role) => ADMIN_ROLES.has(role));
  }

  function catalog(): unknown[] {
    const entry = (type: string, name: string, url: string) => ({
      id: hex32(),
      type,
      name,
      endpoints: ['public', 'internal', 'admin'].map((iface) => ({ id: hex32(), interface: iface, region, region_id: region, url })),
    });
    return [
      entry('identity', 'keystone', `${keystone.url}/v3`),
      entry('compute', 'nova', `${nova.url}/v2.1`),
      entry('image', 'glance', glance.url),
      entry('network', 'neutron', neutron.url),
    ];
  }

  function tokenBody(record: TokenRecord, withCatalog: boolean): Record<string, unknown> {
    const user = usersById.get(record.userId);
    const project = record.projectId ? projectsById.get(record.projectId) : undefined;
    const token: Record<string, unknown> = {
      methods: ['password'],
      user: { id: user?.id, name: user?.name, domain: DEFAULT_DOMAIN, password_expires_at: null },
      audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
      expires_at: isoMicro(record.expiresAt),
      issued_at: isoMicro(record.issuedAt),
    };
    if (project) {
      token.project = { id: project.id, name: project.name, domain: DEFAULT_DOMAIN };
      token.is_domain = false;
      token.roles = rolesOf(record).map((name) => ({ id: `role-${name}`, name }));
      // Keystone sends is_admin_project only when it is false; none is configured here.
      if (withCatalog) token.catalog = catalog();
    }
    if (record.accessRules) {
      // Keystone's shape for a token from an application credential (methods, application_credential with its rules).
      token.methods = ['application_credential'];
      token.application_credential = {
        id: hex32(),
        name: 'restricted',
        restricted: true,
        access_rules: record.accessRules.map((rule) => ({ id: hex32(), ...rule })),
      };
    }
    return { token };
  }

  function authenticate(body: string): { user: TestUser; projectId: string | null } | 'bad-request' | 'unauthorized' {
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'bad-request';
    }
    const identity = parsed?.auth?.identity;
    if (!Array.isArray(identity?.methods) || !identity.methods.includes('password')) return 'bad-request';
    const spec = identity.password?.user;
    const user = spec?.id ? usersById.get(spec.id) : userByName(spec?.name);
    const domainOk = !spec?.domain || spec.domain.id === DEFAULT_DOMAIN.id || spec.domain.name === DEFAULT_DOMAIN.name;
    if (!user || !domainOk || user.password !== spec?.password) return 'unauthorized';
    const scope = parsed.auth.scope?.project;
    if (!scope) return { user, projectId: null };
    const project = scope.id ? projectsById.get(scope.id) : projectByName(scope.name);
    const scopeDomainOk = scope.id || !scope.domain || scope.domain.id === DEFAULT_DOMAIN.id || scope.domain.name === DEFAULT_DOMAIN.name;
    if (!project || !scopeDomainOk || !user.roles.has(project.id)) return 'unauthorized';
    return { user, projectId: project.id };
  }

  function handleKeystone(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', keystone.url);
    const path = url.pathname.replace(/\/+$/, '');
    const unauthorized = () => keystoneError(res, 401, 'Unauthorized', 'The request you have made requires authentication.');
    if (path === '/v3/auth/tokens' && req.method === 'POST') {
      const outcome = authenticate(body);
      if (outcome === 'bad-request') return keystoneError(res, 400, 'Bad Request', 'Expecting to find identity in auth.');
      if (outcome === 'unauthorized') return unauthorized();

      const { token } = issue(outcome.user, outcome.projectId);
      const record = tokens.get(token)!;
      return send(res, 201, tokenBody(record, true), { 'X-Subject-Token': token });
    }
    const caller = live(req.headers['x-auth-token'] as string | undefined);
    if (path === '/v3/auth/tokens' && (req.method === 'GET' || req.method === 'HEAD')) {
      counters.validations++;
      if (!caller) return unauthorized();
      const subjectToken = ((req.headers['x-subject-token'] as string | undefined) ?? '').trim();
      const subject = live(subjectToken);
      const self = subjectToken === (req.headers['x-auth-token'] as string).trim();
      // identity:validate_token is admin_or_service_or_owner in Keystone's policy.
      if (!self && !rolesOf(caller).some((role) => VALIDATOR_ROLES.has(role))) {
        return keystoneError(res, 403, 'Forbidden', 'You are not authorized to perform the requested action: identity:validate_token.');
      }
      if (!subject) return keystoneError(res, 404, 'Not Found', 'Could not find token: (hidden).');
      return send(res, 200, tokenBody(subject, !url.searchParams.has('nocatalog')), { 'X-Subject-Token': subjectToken });
    }
    if (path === '/v3/auth/tokens' && req.method === 'DELETE') {
      if (!caller) return unauthorized();
      const subject = tokens.get(((req.headers['x-subject-token'] as string | undefined) ?? '').trim());
      if (!subject || subject.revoked) return keystoneError(res, 404, 'Not Found', 'Could not find token.');
      subject.revoked = true;
      return send(res, 204, undefined);
    }
    const projectMatch = /^\/v3\/projects\/([^/]+)$/.exec(path);
    if (projectMatch && req.method === 'GET') {
      counters.projectLookups++;
      if (!caller) return unauthorized();
      const project = projectsById.get(decodeURIComponent(projectMatch[1]!));
      if (!project) return keystoneError(res, 404, 'Not Found', `Could not find project: ${projectMatch[1]}.`);
      if (!isAdmin(caller) && caller.projectId !== project.id) {
        return keystoneError(res, 403, 'Forbidden', 'You are not authorized to perform the requested action: identity:get_project.');
      }
      return send(res, 200, {
        project: {
          id: project.id, name: project.name, domain_id: project.domainId, description: '', enabled: true,
          is_domain: false, parent_id: project.domainId, tags: [], options: {},
          links: { self: `${keystone.url}/v3/projects/${project.id}` },
        },
      });
    }
    return keystoneError(res, 404, 'Not Found', 'The resource could not be found.');
  }

  // ---- nova ----------------------------------------------------------------

  function microversion(req: http.IncomingMessage): [number, number] | 'bad' {
    const modern = /^compute\s+(\S+)$/i.exec(String(req.headers['openstack-api-version'] ?? '').trim());
    const raw = modern?.[1] ?? String(req.headers['x-openstack-nova-api-version'] ?? '').trim();
    if (!raw) return [2, 1];
    if (raw === 'latest') return [...MAX_MICROVERSION];
    const match = /^(\d+)\.(\d+)$/.exec(raw);
    if (!match) return 'bad';
    const version: [number, number] = [Number(match[1]), Number(match[2])];
    if (version[0] !== 2 || version[1] > MAX_MICROVERSION[1]) return 'bad';
    return version;
  }

  function serverView(server: Record<string, unknown>, version: [number, number], admin: boolean): Record<string, unknown> {
    const { hostname, ...view } = server;
    // >= 2.3 for admins (extended server attributes policy), >= 2.90 for everyone.
    if ((version[1] >= 3 && admin) || version[1] >= 90) view['OS-EXT-SRV-ATTR:hostname'] = hostname;
    return view;
  }

  function isAllTenants(value: string | null): boolean | 'bad' {
    if (value === null) return false;
    const v = value.toLowerCase();
    if (['', '1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
    if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
    return 'bad';
  }

  function handleNova(req: http.IncomingMessage, _body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', nova.url);
    const path = url.pathname.replace(/\/+$/, '');
    const caller = live(req.headers['x-auth-token'] as string | undefined);
    if (!caller) return send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const version = microversion(req);
    if (version === 'bad') return send(res, 406, { computeFault: { code: 406, message: 'Version not supported' } });
    const versionHeader = { 'OpenStack-API-Version': `compute ${version.join('.')}`, Vary: 'OpenStack-API-Version' };
    const admin = isAdmin(caller);
    if (path === '/v2.1/servers/detail' && req.method === 'GET') {
      counters.serverLists++;
      const allTenants = isAllTenants(url.searchParams.get('all_tenants'));
      if (allTenants === 'bad') return send(res, 400, { badRequest: { code: 400, message: 'Invalid input for all_tenants' } });
      if (allTenants && !admin) {
        return send(res, 403, { forbidden: { code: 403, message: 'Policy doesn\'t allow os_compute_api:servers:detail:get_all_tenants to be performed.' } });
      }
      let visible = [...servers.values()].filter((server) => allTenants || server.tenant_id === caller.projectId);
      const marker = url.searchParams.get('marker');
      if (marker !== null) {
        const index = visible.findIndex((server) => server.id === marker);
        if (index < 0) return send(res, 400, { badRequest: { code: 400, message: `marker [${marker}] not found` } });
        visible = visible.slice(index + 1);
      }
      const requested = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : maxLimit;
      if (!Number.isInteger(requested) || requested < 0) return send(res, 400, { badRequest: { code: 400, message: 'Invalid input for limit' } });
      const limit = Math.min(requested, maxLimit);
      const page = visible.slice(0, limit);
      const body: Record<string, unknown> = { servers: page.map((server) => serverView(server, version, admin)) };
      // Nova adds a next link whenever the page is full (common.py _get_collection_links).
      if (limit > 0 && page.length === limit) {
        const next = new URLSearchParams(url.searchParams);
        next.set('limit', String(limit));
        next.set('marker', String(page.at(-1)!.id));
        body.servers_links = [{ rel: 'next', href: `${nova.url}/v2.1/servers/detail?${next}` }];
      }
      return send(res, 200, body, versionHeader);
    }
    const serverMatch = /^\/v2\.1\/servers\/([^/]+)$/.exec(path);
    if (serverMatch && req.method === 'GET') {
      counters.serverGets++;
      const server = servers.get(decodeURIComponent(serverMatch[1]!));
      if (!server || (!admin && server.tenant_id !== caller.projectId)) {
        return send(res, 404, { itemNotFound: { code: 404, message: `Instance ${serverMatch[1]} could not be found.` } }, versionHeader);
      }
      return send(res, 200, { server: serverView(server, version, admin) }, versionHeader);
    }
    return send(res, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  }

  function addServer(spec: ServerSpec): string {
    const id = spec.id ?? randomUUID();
    const imageId = spec.imageId ?? '';
    const addresses: Record<string, unknown[]> = {};
    for (const [network, list] of Object.entries(spec.addresses ?? {})) {
      addresses[network] = list.map((a) => ({
        addr: a.addr, version: a.version, 'OS-EXT-IPS:type': a.type ?? 'fixed', 'OS-EXT-IPS-MAC:mac_addr': a.mac ?? 'fa:16:3e:00:00:01',
      }));
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    servers.set(id, {
      id,
      name: spec.name,
      status: spec.status ?? 'ACTIVE',
      tenant_id: spec.projectId,
      user_id: spec.userId ?? users.demo.id,
      metadata: { ...spec.metadata },
      hostId: hex32(),
      image: imageId ? { id: imageId, links: [{ rel: 'bookmark', href: `${nova.url}/images/${imageId}` }] } : '',
      flavor: { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: {} },
      created: now,
      updated: now,
      addresses,
      accessIPv4: '',
      accessIPv6: '',
      links: [{ rel: 'self', href: `${nova.url}/v2.1/servers/${id}` }],
      'OS-DCF:diskConfig': 'MANUAL',
      'OS-EXT-STS:vm_state': (spec.status ?? 'ACTIVE').toLowerCase(),
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:power_state': 1,
      progress: 0,
      key_name: null,
      tags: [],
      locked: false,
      description: null,
      hostname: spec.hostname ?? spec.name,
    });
    return id;
  }

  // ---- glance --------------------------------------------------------------

  function handleGlance(req: http.IncomingMessage, _body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', glance.url);
    const caller = live(req.headers['x-auth-token'] as string | undefined);
    if (!caller) return send(res, 401, '401 Unauthorized\n\nThis server could not verify that you are authorized to access the document you requested.');
    const match = /^\/v2\/images\/([^/]+)$/.exec(url.pathname);
    if (match && req.method === 'GET') {
      counters.imageGets++;
      const id = decodeURIComponent(match[1]!);
      const image = images.get(id);
      const visible = image && (image.visibility === 'public' || image.owner === caller.projectId || isAdmin(caller));
      if (!visible) return send(res, 404, `404 Not Found\n\nNo image found with ID ${id}\n\n   `);
      return send(res, 200, image);
    }
    return send(res, 404, '404 Not Found\n\nThe resource could not be found.\n\n   ');
  }

  function addImage(spec: ImageSpec = {}): string {
    const id = spec.id ?? randomUUID();
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Custom properties first, then Glance's own fields, as its serializer does.
    images.set(id, {
      ...spec.properties,
      name: spec.name ?? `image-${id.slice(0, 8)}`,
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: spec.visibility ?? 'public',
      size: 13_267_968,
      virtual_size: 117_440_512,
      status: 'active',
      checksum: 'ee1eca47dc88f4879d8a229cc70a07c6',
      protected: false,
      min_ram: 0,
      min_disk: 0,
      owner: spec.owner ?? projects.admin.id,
      os_hidden: false,
      os_hash_algo: 'sha512',
      os_hash_value: randomBytes(64).toString('hex'),
      id,
      created_at: now,
      updated_at: now,
      tags: [],
      self: `/v2/images/${id}`,
      file: `/v2/images/${id}/file`,
      schema: '/v2/schemas/image',
    });
    return id;
  }

  // ---- neutron -------------------------------------------------------------

  function handleNeutron(req: http.IncomingMessage, _body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', neutron.url);
    const caller = live(req.headers['x-auth-token'] as string | undefined);
    const notFound = (message: string) => send(res, 404, { NeutronError: { type: 'HTTPNotFound', message, detail: '' } });
    if (!caller) return send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const admin = isAdmin(caller);
    const visible = (port: Record<string, unknown>) => admin || port.project_id === caller.projectId;
    if (url.pathname === '/v2.0/ports' && req.method === 'GET') {
      counters.portLists++;
      const ids = url.searchParams.getAll('id');
      const list = [...ports.values()].filter((port) => visible(port) && (ids.length === 0 || ids.includes(String(port.id))));
      return send(res, 200, { ports: list });
    }
    const match = /^\/v2\.0\/ports\/([^/]+)$/.exec(url.pathname);
    if (match && req.method === 'GET') {
      const port = ports.get(decodeURIComponent(match[1]!));
      if (!port || !visible(port)) return notFound(`Port ${match[1]} could not be found.`);
      return send(res, 200, { port });
    }
    return notFound('The resource could not be found.');
  }

  function addPort(spec: PortSpec): string {
    const id = spec.id ?? randomUUID();
    ports.set(id, {
      id,
      name: '',
      network_id: spec.networkId ?? randomUUID(),
      tenant_id: spec.projectId,
      project_id: spec.projectId,
      mac_address: 'fa:16:3e:58:42:ed',
      admin_state_up: true,
      status: 'ACTIVE',
      device_id: spec.deviceId,
      device_owner: spec.deviceOwner ?? 'compute:nova',
      fixed_ips: (spec.fixedIps ?? []).map((ip) => ({ ip_address: ip.ipAddress, subnet_id: ip.subnetId ?? randomUUID() })),
      allowed_address_pairs: [],
      security_groups: [],
      binding_vnic_type: 'normal',
    });
    return id;
  }

  // ---- the handle tests use ------------------------------------------------

  const keystoneUrl = `${keystone.url}/v3`;
  return {
    keystoneUrl,
    nova: { url: nova.url },
    glance: { url: glance.url },
    neutron: { url: neutron.url },
    region,
    projects,
    users,
    counters,
    /** Credentials for KeystoneSession; `timeoutMs` short enough for hang tests. */
    credentials(user: keyof typeof users | TestUser = 'novajoin', project = 'service', timeoutMs = 2000): KeystoneCredentials {
      const u = typeof user === 'string' ? users[user] : user;
      return {
        authUrl: keystoneUrl, username: u.name, password: u.password, userDomainName: 'Default', userDomainId: '',
        projectName: project, projectDomainName: 'Default', projectDomainId: '', cafile: '', timeoutMs,
      };
    },
    /** A token as Keystone would issue it to `user` scoped to `project` (names). */
    /** `accessRules`: the token of an application credential limited to those rules. */
    issueToken(user: string, project: string | null, opts: { ttlMs?: number; accessRules?: TokenRecord['accessRules'] } = {}): { token: string; expiresAt: number } {
      const u = userByName(user);
      if (!u) throw new Error(`no test user ${user}`);
      const p = project === null ? null : projectByName(project);
      if (p === undefined) throw new Error(`no test project ${project}`);
      if (p && !u.roles.has(p.id)) throw new Error(`user ${user} has no role on ${project}`);
      return issue(u, p ? p.id : null, opts.ttlMs, opts.accessRules);
    },
    revokeToken(token: string): void {
      const record = tokens.get(token);
      if (record) record.revoked = true;
    },
    /** Revokes every token of a user (a password change does this in Keystone). */
    revokeTokensOf(user: string): void {
      const u = userByName(user);
      for (const record of tokens.values()) if (u && record.userId === u.id) record.revoked = true;
    },
    addProject,
    addUser,
    addImage,
    removeImage(id: string): void {
      images.delete(id);
    },
    addServer,
    removeServer(id: string): void {
      servers.delete(id);
    },
    addPort,
    setMode(service: ServiceName, mode: Mode): Promise<void> {
      return all[service].setMode(mode);
    },
    async stop(): Promise<void> {
      await Promise.all(Object.values(all).map((server) => server.close()));
    },
  };
}

export type OpenStackServers = Awaited<ReturnType<typeof startOpenStack>>;
