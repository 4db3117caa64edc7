/**
 * Builds the OpenStack adapters from the validated configuration. Two
 * Keystone identities, as in novajoin: [keystone_authtoken] validates callers'
 * tokens, [service_credentials] reads Keystone, Nova, Glance and Neutron.
 */
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ServiceType } from './catalog.js';
import { GlanceImages } from './glance.js';
import type { Fetch } from './http.js';
import { KeystoneSession } from './keystone-session.js';
import { NeutronPorts } from './neutron.js';
import { NovaServers } from './nova.js';
import { KeystoneProjects } from './projects.js';
import { KeystoneTokenValidator } from './token-validator.js';

export type { Caller, TokenValidator } from './caller.js';
export type { ImageInfo, ImageLookup } from './glance.js';
export type { Port, PortLookup } from './neutron.js';
export type { ComputeLookup, Server, ServerAddress } from './nova.js';
export type { ProjectDirectory } from './projects.js';
export { EndpointNotFound, ServiceCredentialsRefused, UnexpectedResponse } from './errors.js';
export { isComputePort } from './neutron.js';
export { GlanceImages, KeystoneProjects, KeystoneSession, KeystoneTokenValidator, NeutronPorts, NovaServers };

export interface OpenStackOptions {
  /** Endpoints that win over the catalog. */
  readonly endpoints?: Partial<Record<ServiceType, string>>;
  readonly fetch?: Fetch;
}

export interface OpenStack {
  readonly serviceSession: KeystoneSession;
  readonly tokens: KeystoneTokenValidator;
  readonly projects: KeystoneProjects;
  readonly images: GlanceImages;
  readonly servers: NovaServers;
  readonly ports: NeutronPorts;
}

export function openStackFromConfig(config: Config, logger: Logger, options: OpenStackOptions = {}): OpenStack {
  const { serviceCredentials, keystoneAuthtoken } = config;
  const serviceSession = new KeystoneSession({
    credentials: serviceCredentials,
    interface: serviceCredentials.interface,
    regionName: serviceCredentials.regionName,
    ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    logger: logger.child({ component: 'keystone-session' }),
  });
  const authtokenSession = new KeystoneSession({
    credentials: keystoneAuthtoken,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    logger: logger.child({ component: 'keystone-authtoken' }),
  });
  return {
    serviceSession,
    tokens: new KeystoneTokenValidator({
      session: authtokenSession,
      cacheTimeMs: keystoneAuthtoken.tokenCacheTimeMs,
      logger: logger.child({ component: 'token-validator' }),
    }),
    projects: new KeystoneProjects({ session: serviceSession }),
    images: new GlanceImages(serviceSession),
    servers: new NovaServers(serviceSession),
    ports: new NeutronPorts(serviceSession),
  };
}
