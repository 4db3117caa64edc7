/**
 * Resync's inventory through FreeIPA's API, against the emulator engine:
 * only hosts carrying novajoin's binding, services with their managers as
 * DNs (what resync keys by), and a cut answer refused rather than used.
 */
import test from 'ava';
import { ApiInventory, InventoryTruncated } from '../src/freeipa/api-inventory.js';
import { hostAdd, serviceAdd, serviceAddHost } from '../src/freeipa/commands.js';
import { Engine, MemoryStore, makeEnv, seedEntries } from '../src/ipa-emulator/index.js';
import { InProcessRpc } from '../src/ipa-emulator/in-process-client.js';

const env = makeEnv({});

test('hosts() lists only novajoin hosts, services() every service, managers as host DNs', async (t) => {
  const client = new InProcessRpc(new Engine({ env, store: new MemoryStore(seedEntries(env)) }), `admin@${env.realm}`);
  await client.call(hostAdd(`vm1.${env.domain}`, { force: true, description: 'novajoin:v1 instance=11111111-1111-1111-1111-111111111111 project=p1 gen=1 issued=1' }));
  await client.call(hostAdd(`other.${env.domain}`, { force: true, description: 'not novajoin:v1 at the start' }));
  await client.call(serviceAdd(`HTTP/vm1.${env.domain}@${env.realm}`, { force: true }));
  await client.call(serviceAddHost(`HTTP/vm1.${env.domain}@${env.realm}`, [`other.${env.domain}`]));
  const inventory = new ApiInventory({ client, baseDn: env.suffix, timeoutMs: 5000 });
  const hosts = [];
  for await (const h of inventory.hosts()) hosts.push(h);
  t.deepEqual(hosts.map((h) => h.fqdn), [`vm1.${env.domain}`]);
  t.is(hosts[0]?.krbLastPwdChange, null, 'not enrolled');
  const services = [];
  for await (const s of inventory.services()) services.push(s);
  const http = services.find((s) => s.principal.startsWith('HTTP/vm1'));
  t.deepEqual(http?.managedBy.map((d) => d.toLowerCase()).sort(), [`fqdn=other.${env.domain},cn=computers,cn=accounts,${env.suffix}`, `fqdn=vm1.${env.domain},cn=computers,cn=accounts,${env.suffix}`].sort());
});

test('a truncated find is an error, never a partial inventory', async (t) => {
  const client = { call: async () => ({ count: 2000, truncated: true, result: [], summary: null }) } as never;
  const inventory = new ApiInventory({ client, baseDn: env.suffix, timeoutMs: 5000 });
  await t.throwsAsync(async () => {
    for await (const _ of inventory.hosts()) void _;
  }, { instanceOf: InventoryTruncated, message: /cut its host_find answer at 2000 entries.*resync_inventory = ldap/ });
});
