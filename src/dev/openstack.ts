/**
 * What `novajoin dev` adds so that `novajoin resync` and `novajoin check`
 * run against it unchanged: the stand-in Keystone/Nova/Glance (cloud.ts)
 * with its instances, the join.conf options that point at it, and FreeIPA
 * prepared as `novajoin ipa-setup` prepares a real one (role, privilege,
 * permissions), so that check reads a deployment, not a bare server.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { clientFromConfig } from '../freeipa/client.js';
import type { Logger } from '../log/logger.js';
import { ensureRbac } from '../setup/rbac.js';
import { startDevCloud, type DevCloud } from './cloud.js';
import { DevInstances } from './instances.js';
import type { DevSettings } from './conf.js';

export interface DevOpenStack {
  readonly cloud: DevCloud;
  readonly instances: DevInstances;
  /** join.conf sections pointing resync and check at the stand-in, and at FreeIPA's API for reads. */
  readonly settings: DevSettings;
}

export async function startDevOpenStack(): Promise<DevOpenStack> {
  const instances = new DevInstances();
  const password = randomBytes(18).toString('base64url');
  const cloud = await startDevCloud({ instances, username: 'novajoin', password });
  return {
    cloud,
    instances,
    settings: {
      // dev has no LDAP: resync reads hosts and services through FreeIPA's API.
      DEFAULT: { resync_inventory: 'api' },
      service_credentials: { auth_url: cloud.authUrl, username: 'novajoin', password, project_name: 'service' },
    },
  };
}

/** The role `novajoin ipa-setup` creates, for a service principal of the embedded FreeIPA's own host. */
export async function prepareDevFreeIpa(config: Config, logger: Logger, serverName: string): Promise<void> {
  const client = clientFromConfig(config, logger.child({ component: 'freeipa' }));
  try {
    await ensureRbac({ client, principal: `nova/${serverName}@${config.freeipa.realm}` });
  } finally {
    await client.close();
  }
}
