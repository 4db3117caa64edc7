/**
 * The OpenStack adapters seen through the domain's ports, which speak in
 * deadlines (the join's remaining budget) rather than AbortSignals. Image
 * properties are cached briefly: a boot storm boots few images many times.
 */
import type { ImageLookup, PortLookup, ProjectLookup } from '../domain/ports.js';
import type { ImageLookup as GlanceLookup } from '../openstack/glance.js';
import { isComputePort, type PortLookup as NeutronLookup } from '../openstack/neutron.js';
import type { ProjectDirectory } from '../openstack/projects.js';
import { SingleFlight } from '../openstack/single-flight.js';
import { TtlCache } from '../openstack/ttl-cache.js';

const signalFor = (deadline: number) => AbortSignal.timeout(Math.max(1, deadline - Date.now()));

export function imagePort(glance: GlanceLookup, ttlMs = 60_000): ImageLookup {
  const cache = new TtlCache<Readonly<Record<string, string>> | null>(1000);
  const flights = new SingleFlight<Readonly<Record<string, string>> | null>();
  return {
    async imageProperties(imageId, deadline) {
      const cached = cache.get(imageId);
      if (cached !== undefined) return cached;
      const properties = await flights.run(imageId, async () => (await glance.image(imageId, signalFor(deadline)))?.properties ?? null);
      cache.set(imageId, properties, Date.now() + ttlMs);
      return properties;
    },
  };
}

export function projectPort(projects: ProjectDirectory): ProjectLookup {
  return { projectName: (projectId, deadline) => projects.projectName(projectId, signalFor(deadline)) };
}

export function neutronPort(ports: NeutronLookup): PortLookup {
  return {
    async deviceOfPort(portId, deadline) {
      const port = await ports.port(portId, signalFor(deadline));
      return port && isComputePort(port) ? port.deviceId : null;
    },
  };
}
