/**
 * Resync's dependencies built from the configuration: the LDAP inventory,
 * the FreeIPA directory and the listener's InstanceLifecycle over it, and
 * the OpenStack adapters. `close()` releases every connection.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import type { Directory } from '../domain/ports.js';
import { InstanceLifecycle } from '../domain/lifecycle.js';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { FreeIpaDirectory } from '../freeipa/directory.js';
import { LdapInventory } from '../freeipa/ldap-inventory.js';
import { discoverServers } from '../freeipa/srv.js';
import type { Logger } from '../log/logger.js';
import { openStackFromConfig, type OpenStackOptions } from '../openstack/index.js';
import { imagePort, projectPort } from '../server/ports.js';
import { enrollmentPolicy } from '../domain/enrollment-policy.js';
import type { ResyncDependencies } from './run.js';

export interface BuiltResync {
  readonly deps: ResyncDependencies;
  /** The client built here; null when the caller gave its own directory. */
  readonly freeipa: FreeIpaClient | null;
  close(): Promise<void>;
}

export interface ResyncOverrides {
  readonly openstack?: OpenStackOptions;
  /** Items applied at once (default: FreeIPA's max_concurrency, at most 16). */
  readonly concurrency?: number;
  /** A lifecycle and directory that already exist (novajoin-notify's): no second FreeIPA session. Both or neither. */
  readonly lifecycle?: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  readonly directory?: Pick<Directory, 'read' | 'write'>;
}

export function inventoryFromConfig(config: Config): LdapInventory {
  const { ldap, freeipa } = config;
  // With discovery and no [ldap] url, the LDAP servers are the ones the SRV
  // records name: ldap://<target>:<port> (the record's port) with StartTLS,
  // or LDAPS on the target when starttls is off.
  const discovered =
    freeipa.discover && ldap.urls.length === 0
      ? async () =>
          (await discoverServers({ domain: freeipa.discoveryDomain, location: freeipa.location || undefined, dnsServers: freeipa.dnsServers, timeoutMs: Math.min(ldap.timeoutMs, 5_000) })).targets.map(
            (t) => (ldap.starttls ? `ldap://${t.name}:${t.port}` : `ldaps://${t.name}`),
          )
      : null;
  return new LdapInventory({
    url: ldap.url,
    urls: discovered ?? ldap.urls,
    // FreeIPA's LDAP certificate comes from the same CA as its HTTPS one.
    caFile: config.freeipa.caFile,
    starttls: ldap.starttls,
    ...(ldap.bindDn ? { bindDn: ldap.bindDn, bindPassword: readSecretFile(ldap.bindPasswordFile, '[ldap] bind_password_file') } : {}),
    baseDn: ldap.baseDn,
    pageSize: ldap.pageSize,
    timeoutMs: ldap.timeoutMs,
  });
}

export function resyncFromConfig(config: Config, logger: Logger, overrides: ResyncOverrides = {}): BuiltResync {
  const inventory = inventoryFromConfig(config);
  const openstack = openStackFromConfig(config, logger, overrides.openstack);
  const projects = projectPort(openstack.projects);
  const policy = enrollmentPolicy(config);
  let freeipa: FreeIpaClient | null = null;
  let directory: Pick<Directory, 'read' | 'write'>;
  let lifecycle: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  if (overrides.lifecycle && overrides.directory) {
    ({ lifecycle, directory } = overrides);
  } else {
    freeipa = clientFromConfig(config, logger.child({ component: 'freeipa' }));
    const own = new FreeIpaDirectory({ client: freeipa, realm: config.freeipa.realm, zone: config.naming.domain });
    directory = own;
    lifecycle = new InstanceLifecycle({
      directory: own,
      projects,
      policy,
      logger: logger.child({ component: 'resync' }),
      fixedIpDns: config.enrollment.fixedIpDns,
      floatingIpDns: config.enrollment.floatingIpDns,
      timeoutMs: config.freeipa.timeoutMs,
    });
  }
  const deps: ResyncDependencies = {
    inventory,
    servers: openstack.servers,
    images: imagePort(openstack.images),
    projects,
    directory,
    lifecycle,
    policy,
    staleOtpAgeMs: config.enrollment.staleOtpAgeMs,
    freeipaTimeoutMs: config.freeipa.timeoutMs,
    lookupTimeoutMs: config.serviceCredentials.timeoutMs,
    concurrency: overrides.concurrency ?? Math.min(16, config.freeipa.maxConcurrency),
  };
  return {
    deps,
    freeipa,
    async close() {
      await Promise.allSettled([inventory.close(), freeipa?.close()]);
    },
  };
}

export function readSecretFile(path: string, what: string): string {
  if (!path) throw new Error(`${what} is not set`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (!secret) throw new Error(`${what} ${path} is empty`);
  return secret;
}
