/**
 * Composition root of novajoin-server: builds the adapters from the
 * configuration, wires them to the join service and the HTTP app, listens.
 * Tests and `novajoin dev` pass their own adapters through `overrides`.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { explainListenError } from '../listen.js';
import type { Config } from '../config/types.js';
import { JoinService, type JoinRequest } from '../domain/join.js';
import { enrollmentPolicy } from '../domain/enrollment-policy.js';
import { OtpMinter } from '../domain/otp.js';
import type { Directory, ImageLookup, ProjectLookup } from '../domain/ports.js';
import { clientFromConfig, type FreeIpaClient, type ServerHealth } from '../freeipa/client.js';
import { FreeIpaDirectory } from '../freeipa/directory.js';
import { createApp, type ReadinessCheck } from '../http/app.js';
import { Readiness } from '../http/readiness.js';
import type { Authorize } from '../http/authenticate.js';
import { createServerMetrics, watchFreeIpaQueue, type ServerMetrics } from '../http/http-metrics.js';
import type { Logger } from '../log/logger.js';
import type { TokenValidator } from '../openstack/caller.js';
import { openStackFromConfig, type OpenStackOptions } from '../openstack/index.js';
import { loadAuthorizer } from './authorizer.js';
import { createHttpServer } from './http-server.js';
import { imagePort, projectPort } from './ports.js';

export interface ServerOverrides {
  readonly directory?: Directory;
  readonly freeipa?: FreeIpaClient;
  readonly otp?: OtpMinter;
  readonly tokens?: TokenValidator | null;
  readonly images?: ImageLookup;
  readonly projects?: ProjectLookup;
  readonly authorize?: Authorize;
  readonly openstack?: OpenStackOptions;
  readonly readiness?: readonly ReadinessCheck[];
  /** What the operator changes when the port is taken: the option, or a flag (`novajoin dev --port`). */
  readonly portSetting?: string;
  /** Told of every valid vendordata request, before it is answered (`novajoin dev`). */
  readonly observeJoin?: (request: JoinRequest) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  readonly join: JoinService;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const noauth = config.server.authStrategy === 'noauth';
  if (noauth && !isLoopback(config.server.listen)) {
    throw new Error(`auth_strategy = noauth is only for \`novajoin dev\` and refuses to listen on ${config.server.listen}; listen on 127.0.0.1 or use keystone`);
  }
  const metrics = createServerMetrics();
  const freeipa = overrides.directory ? null : (overrides.freeipa ?? clientFromConfig(config, logger.child({ component: 'freeipa' })));
  const directory = overrides.directory ?? new FreeIpaDirectory({ client: freeipa!, realm: config.freeipa.realm, zone: config.naming.domain });
  if (freeipa) {
    metrics.countFreeIpa(() => freeipa.stats);
    metrics.freeIpaServers(() => freeipa.servers());
    watchFreeIpaQueue(freeipa, metrics);
  }
  const openstack = overrides.images && overrides.projects && overrides.tokens !== undefined ? null : openStackFromConfig(config, logger, overrides.openstack);
  const images = overrides.images ?? imagePort(openstack!.images);
  const projects = overrides.projects ?? projectPort(openstack!.projects);
  const tokens = overrides.tokens !== undefined ? overrides.tokens : noauth ? null : openstack!.tokens;
  const otp = overrides.otp ?? OtpMinter.fromFile(config.enrollment.otpSecretFile);
  // Learnt before the first join, so an over-long host name is refused without a FreeIPA call of its own.
  await directory.maxHostnameLength(Date.now() + Math.min(config.freeipa.timeoutMs, 3000));
  const join = new JoinService({ directory, images, projects, otp, policy: enrollmentPolicy(config, directory.realm), logger: logger.child({ component: 'join' }), answerTtlMs: config.server.joinCacheTtlMs });

  const checks: ReadinessCheck[] = overrides.readiness ? [...overrides.readiness] : [
    {
      name: 'freeipa',
      check: () => directory.ping(Date.now() + Math.min(config.freeipa.timeoutMs, 3000)),
      ...(freeipa ? { details: () => ({ servers: freeipa.servers().map(serverState) }) } : {}),
    },
    ...(openstack && !noauth ? [{ name: 'keystone', check: async () => void (await openstack.serviceSession.token(AbortSignal.timeout(3000))) }] : []),
  ];
  const app = createApp({
    join,
    logger,
    metrics,
    domain: config.naming.domain,
    maxBodySize: config.server.maxBodySize,
    joinTimeoutMs: config.server.joinTimeoutMs,
    auth: {
      strategy: config.server.authStrategy,
      tokens,
      authorize: overrides.authorize ?? loadAuthorizer(config.server.policyFile, logger),
      wwwAuthenticateUri: config.keystoneAuthtoken.wwwAuthenticateUri,
      timeoutMs: config.keystoneAuthtoken.timeoutMs,
      serviceType: config.keystoneAuthtoken.serviceType,
    },
    observeJoin: overrides.observeJoin,
    readiness: new Readiness(checks, config.server.readinessIntervalMs, logger.child({ component: 'readiness' })),
  });

  const server: Server = createHttpServer(app.callback(), config.server);
  server.listen(config.server.port, config.server.listen);
  try {
    await once(server, 'listening');
  } catch (error) {
    await freeipa?.close();
    explainListenError(error, config.server.listen, config.server.port, overrides.portSetting ?? '[DEFAULT] join_listen_port');
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info('novajoin-server listening', { url: `http://${host}:${address.port}/v1/`, auth_strategy: config.server.authStrategy });
  if (noauth) logger.warn('auth_strategy = noauth: every caller may enroll hosts. This is for `novajoin dev` only, never production.');

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    metrics,
    join,
    close() {
      closing ??= (async () => {
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await freeipa?.close();
      })();
      return closing;
    },
  };
}

/** A FreeIPA server's state as /readyz shows it: times as ISO dates. */
function serverState(s: ServerHealth): Record<string, unknown> {
  return {
    name: s.name,
    state: s.state,
    ...(s.downUntil ? { downUntil: new Date(s.downUntil).toISOString() } : {}),
    // lastError stays out: /readyz is unauthenticated, and the error is in the log.
  };
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}
