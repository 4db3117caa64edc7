/**
 * The inventory line of `novajoin check` when resync reads FreeIPA through
 * its API ([DEFAULT] resync_inventory = api): the same host_find and
 * service_find resync makes, with the counts, instead of an LDAP bind.
 */
import { ApiInventory } from '../freeipa/api-inventory.js';
import { clientFromConfig } from '../freeipa/client.js';
import type { CheckContext, CheckLine } from './checks.js';

export async function checkApiInventory(ctx: CheckContext): Promise<CheckLine> {
  const what = 'resync reads FreeIPA\'s hosts and services through its API (resync_inventory = api)';
  let client;
  try {
    client = clientFromConfig(ctx.config, ctx.logger.child({ component: 'freeipa' }), { retries: 0 });
  } catch (error) {
    return { ok: false, what, why: (error as Error).message, fix: 'fix the FreeIPA login line first' };
  }
  try {
    const inventory = new ApiInventory({ client, baseDn: ctx.config.ldap.baseDn, timeoutMs: ctx.timeoutMs });
    let hosts = 0;
    let services = 0;
    for await (const _ of inventory.hosts()) hosts++;
    for await (const _ of inventory.services()) services++;
    const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
    return { ok: true, what: `${what}: ${plural(hosts, 'host')} of novajoin, ${plural(services, 'service')}` };
  } catch (error) {
    return { ok: false, what, why: (error as Error).message, fix: 'check the FreeIPA login line; for a large deployment set resync_inventory = ldap' };
  } finally {
    await client.close();
  }
}
