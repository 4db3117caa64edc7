/**
 * Composition root of novajoin-notify: FreeIPA directory, the lifecycle, the
 * event handler and the consumer, closed together.
 */
import type { Config } from '../config/types.js';
import { InstanceLifecycle } from '../domain/lifecycle.js';
import type { Directory, PortLookup, ProjectLookup } from '../domain/ports.js';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { freeIpaServerGauges } from '../metrics/freeipa-servers.js';
import { FreeIpaDirectory } from '../freeipa/directory.js';
import type { Logger } from '../log/logger.js';
import { openStackFromConfig, type OpenStackOptions } from '../openstack/index.js';
import { enrollmentPolicy } from '../domain/enrollment-policy.js';
import { neutronPort, projectPort } from '../server/ports.js';
import { startPeriodicResync } from '../resync/periodic.js';
import { LifecycleEventHandler } from './event-handler.js';
import { startNotifyListener, type NotifyListener } from './listener.js';

export interface NotifyOverrides {
  readonly directory?: Directory;
  readonly freeipa?: FreeIpaClient;
  readonly projects?: ProjectLookup;
  readonly ports?: PortLookup | null;
  readonly openstack?: OpenStackOptions;
  readonly url?: string;
  readonly metricsPort?: number;
  readonly connectionName?: string;
}

export interface RunningNotify {
  readonly listener: NotifyListener;
  readonly lifecycle: InstanceLifecycle;
  close(): Promise<void>;
}

export async function startNotify(config: Config, logger: Logger, overrides: NotifyOverrides = {}): Promise<RunningNotify> {
  const freeipa = overrides.directory ? null : (overrides.freeipa ?? clientFromConfig(config, logger.child({ component: 'freeipa' })));
  const directory = overrides.directory ?? new FreeIpaDirectory({ client: freeipa!, realm: config.freeipa.realm, zone: config.naming.domain });
  const openstack = overrides.projects && overrides.ports !== undefined ? null : openStackFromConfig(config, logger, overrides.openstack);
  const projects = overrides.projects ?? projectPort(openstack!.projects);
  const ports = overrides.ports !== undefined ? overrides.ports : neutronPort(openstack!.ports);
  const lifecycle = new InstanceLifecycle({
    directory,
    projects,
    policy: enrollmentPolicy(config, directory.realm),
    logger: logger.child({ component: 'lifecycle' }),
    fixedIpDns: config.enrollment.fixedIpDns,
    floatingIpDns: config.enrollment.floatingIpDns,
    timeoutMs: config.freeipa.timeoutMs,
  });
  const handler = new LifecycleEventHandler({ lifecycle, ports, timeoutMs: config.freeipa.timeoutMs });
  const listener = await startNotifyListener({
    config: config.notifications,
    handler,
    logger,
    ...(overrides.url ? { url: overrides.url } : {}),
    ...(overrides.metricsPort !== undefined ? { metricsPort: overrides.metricsPort } : {}),
    ...(overrides.connectionName ? { connectionName: overrides.connectionName } : {}),
  });
  listener.consumer.metrics.registry.counterOf(
    'novajoin_notify_service_requests_refused_total',
    'Service principals asked for in instance metadata (update events) and refused: not allowed for the project, outside its names, or on a host it does not own.',
    () => lifecycle.refusedServices,
  );
  if (freeipa) freeIpaServerGauges(listener.consumer.metrics.registry, () => freeipa.servers());
  // The periodic resync: optional, and one listener of the deployment at a time (a RabbitMQ lock).
  const periodic = startPeriodicResync({ config, logger: logger.child({ component: 'resync' }), lifecycle, directory, ...(overrides.url ? { url: overrides.url } : {}) });
  let closing: Promise<void> | null = null;
  return {
    listener,
    lifecycle,
    close() {
      closing ??= (async () => {
        await periodic.stop();
        await listener.close();
        await freeipa?.close();
      })();
      return closing;
    },
  };
}
