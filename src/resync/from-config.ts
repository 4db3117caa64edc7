/**
 * Resync's dependencies built from the configuration: the LDAP inventory,
 * the FreeIPA directory and the listener's InstanceLifecycle over it, and
 * the OpenStack adapters. `close()` releases every connection.
 */
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/types.js';
import type { Directory } from '../domain/ports.js';
import { InstanceLifecycle } from '../domain/lifecycle.js';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { FreeIpaDirectory } from '../freeipa/directory.js';
import { ApiInventory } from '../freeipa/api-inventory.js';
import { LdapInventory, type InventoryOptions } from '../freeipa/ldap-inventory.js';
import { discoverServers } from '../freeipa/srv.js';
import type { Logger } from '../log/logger.js';
import { openStackFromConfig, type OpenStackOptions } from '../openstack/index.js';
import { imagePort, projectPort } from '../server/ports.js';
import { enrollmentPolicy } from '../domain/enrollment-policy.js';
import type { InventorySource } from './actual.js';
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
  /** Name resolution for the LDAP servers (tests). */
  readonly ldapLookup?: LookupFunction;
}

/**
 * How the inventory binds, from [ldap] auth. FreeIPA shows hosts and services
 * to authenticated binds only, so a configuration that would end up
 * anonymous is refused (resync would see no host and report nothing) unless
 * auth = anonymous says so.
 */
export function ldapBindFromConfig(config: Config): Pick<InventoryOptions, 'bindDn' | 'bindPassword' | 'gssapi'> {
  const { ldap } = config;
  const where = config.file ?? '<built-in defaults>';
  if (ldap.auth === 'anonymous') return {};
  if (ldap.auth === 'simple') {
    if (!ldap.bindDn) {
      throw new ConfigError(where, 'ldap', 'bind_dn', 'auth = simple needs bind_dn and bind_password_file (a FreeIPA system account); without them the bind is anonymous and FreeIPA shows it no hosts. Use auth = gssapi (the default) to bind with [DEFAULT] keytab, or auth = anonymous if anonymous reads are really meant');
    }
    return { bindDn: ldap.bindDn, bindPassword: readSecretFile(ldap.bindPasswordFile, '[ldap] bind_password_file') };
  }
  if (ldap.bindDn) {
    throw new ConfigError(where, 'ldap', 'bind_dn', 'is used with auth = simple only; set [ldap] auth = simple to bind as it, or remove it to bind with GSSAPI and [DEFAULT] keytab');
  }
  if (!config.freeipa.keytab) throw new ConfigError(where, 'DEFAULT', 'keytab', 'must be set for [ldap] auth = gssapi (the service keytab)');
  return { gssapi: { keytab: config.freeipa.keytab, principal: config.freeipa.principal || undefined } };
}

export function inventoryFromConfig(config: Config, overrides: { lookup?: LookupFunction } = {}): LdapInventory {
  const { ldap, freeipa } = config;
  const bind = ldapBindFromConfig(config);
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
    ...bind,
    ...(overrides.lookup ? { lookup: overrides.lookup } : {}),
    baseDn: ldap.baseDn,
    pageSize: ldap.pageSize,
    timeoutMs: ldap.timeoutMs,
  });
}

export function resyncFromConfig(config: Config, logger: Logger, overrides: ResyncOverrides = {}): BuiltResync {
  const openstack = openStackFromConfig(config, logger, overrides.openstack);
  const projects = projectPort(openstack.projects);
  const policy = enrollmentPolicy(config);
  let freeipa: FreeIpaClient | null = null;
  const ownClient = () => (freeipa ??= clientFromConfig(config, logger.child({ component: 'freeipa' })));
  const inventory: InventorySource & { close(): Promise<void> } =
    config.ldap.inventory === 'api'
      ? new ApiInventory({ client: ownClient(), baseDn: config.ldap.baseDn, timeoutMs: Math.max(config.freeipa.timeoutMs, config.ldap.timeoutMs) })
      : inventoryFromConfig(config, overrides.ldapLookup ? { lookup: overrides.ldapLookup } : {});
  let directory: Pick<Directory, 'read' | 'write'>;
  let lifecycle: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  if (overrides.lifecycle && overrides.directory) {
    ({ lifecycle, directory } = overrides);
  } else {
    const own = new FreeIpaDirectory({ client: ownClient(), realm: config.freeipa.realm, zone: config.naming.domain });
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
