/**
 * novajoin-notify end to end: Nova's real notifications published by Nova's
 * own publisher (python3-oslo.messaging, configured from the README's
 * nova.conf and neutron.conf blocks) to RabbitMQ, consumed by the listener
 * with the shipped [notifications] defaults, applied to the test FreeIPA
 * server (on 389-ds and the KDC), and FreeIPA's state checked after each. The
 * file has a RabbitMQ virtual host of its own, so the real names are used.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { Config } from '../src/config/types.js';
import type { RunningNotify } from '../src/notify/start.js';
import type { RunningServer } from '../src/server/start.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { loadFixtures, osloBody, legacyDelete, QUICK_LISTENER, type Fixture } from './support/notify.js';
import { createVhost, fromFixture, osloPublish, writeOsloConf, type OsloMessage, type Vhost } from './support/oslo.js';
import { until } from './support/until.js';

const INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c';
const PROJECT = 'c97027dd880d4c129ae7a4ba7edade05';
const FQDN = 'some-server.example.test';

let env: NovajoinEnv;
let config: Config;
let server: RunningServer;
let notify: RunningNotify;
let vhost: Vhost;
let novaConf: string;
let neutronConf: string;
let broker: { model: ChannelModel; channel: Channel };
const fixtures = loadFixtures();

test.before(async () => {
  vhost = await createVhost();
  env = await startNovajoinEnv();
  config = await env.config(
    [
      '[notifications]',
      ...QUICK_LISTENER,
      `[${PROJECT}]`,
      'allowed_services = *',
    ].join('\n'),
    // join_cache_ttl = 0: these tests enroll the same instance again after deleting or rebuilding it
    // within seconds, which a real instance never does; answers from memory are join-calls.test.ts's.
    { set: { 'DEFAULT.transport_url': vhost.transportUrl, 'DEFAULT.join_cache_ttl': '0' } },
  );
  novaConf = writeOsloConf('nova.conf', { dir: env.dir, vhost, setting: 'default', service: 'nova' });
  neutronConf = writeOsloConf('neutron.conf', { dir: env.dir, vhost, setting: 'default', service: 'neutron' });
  server = await env.startServer(config);
  notify = await env.startNotify(config);
  const model = await connect(vhost.amqpUrl, { timeout: 10_000 });
  model.on('error', () => undefined);
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  broker = { model, channel };
});

test.after.always(async () => {
  await broker?.model.close().catch(() => undefined);
  await env?.stop();
  await vhost?.delete().catch(() => undefined);
});

async function join(instanceId: string, hostname: string, metadata: Record<string, string>) {
  const res = await fetch(`${server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': env.novaToken() },
    body: JSON.stringify({ 'project-id': PROJECT, 'instance-id': instanceId, 'image-id': '', hostname, metadata }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Nova sends the captured notification again, through oslo.messaging (fresh message and unique ids), its payload changed by `edit`. */
async function publish(fixture: Fixture, edit?: (payload: Record<string, any>) => void): Promise<void> {
  if ((await osloPublish(novaConf, 'nova', [fromFixture(fixture, edit)])) !== 1) throw new Error(`oslo did not send ${fixture.file}`);
}

/** Neutron's floatingip.update.end, as its API layer sends it: the PUT's response body. */
async function publishFloatingIp(floatingip: Record<string, unknown>): Promise<void> {
  const message: OsloMessage = { notifier: 'legacy', publisher_id: 'network.controller1', event_type: 'floatingip.update.end', priority: 'INFO', payload: { floatingip } };
  if ((await osloPublish(neutronConf, 'neutron', [message])) !== 1) throw new Error('oslo did not send the floating IP update');
}

const host = (fqdn: string) => env.ipa.emulator.getHost(fqdn);
const service = (principal: string) => env.ipa.emulator.getService(principal);
/** Messages the listener finished with, whatever the outcome (retries are not an end). */
const settledCount = () =>
  notify.listener.consumer.metrics.snapshot().messages.filter((m) => m.outcome !== 'retried' && m.outcome !== 'requeued').reduce((n, m) => n + m.count, 0);
const metrics = () => notify.listener.consumer.metrics;

async function removeHost(fqdn: string) {
  await env.ipa.emulator.rpc('host_del', [fqdn], { updatedns: true, version: '2.230' }, env.ipa.clientPrincipal);
}

/** The fixture instance, enrolled with a compact service, a shared managed service and a floating A record. */
async function enrollFixtureInstance() {
  await removeHost(FQDN);
  await removeHost('some-server.ctlplane.example.test');
  const res = await join(INSTANCE, 'some-server', {
    ipa_enroll: 'True',
    compact_service_HTTP: '["ctlplane"]',
    managed_service_vip: 'haproxy/vip-e2e.example.test',
  });
  if (res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.body)}`);
  return res.body;
}

const byName = (name: string) => {
  const fixture = fixtures.find((f) => f.file.startsWith(name));
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
};

for (const format of ['unversioned', 'versioned'] as const) {
  test.serial(`${format} delete.end removes the host, its DNS, its subhosts and services only it managed`, async (t) => {
    await enrollFixtureInstance();
    const other = await join(randomUUID(), `peer-${format}`, { ipa_enroll: 'True', managed_service_vip: 'haproxy/vip-e2e.example.test' });
    t.is(other.status, 200);
    const dns = await env.ipa.emulator.rpc('dnsrecord_add', ['example.test', 'some-server'], { arecord: ['192.0.2.10'], version: '2.230' }, env.ipa.clientPrincipal);
    t.is(dns.error, null);
    t.truthy(await host('some-server.ctlplane.example.test'));

    await publish(byName(`delete--${format}`));
    await until('the host to go', () => host(FQDN), (h) => h === null);
    t.is(await host('some-server.ctlplane.example.test'), null, 'compact subhost removed');
    t.is(await service('HTTP/some-server.ctlplane.example.test@EXAMPLE.TEST'), null);
    const vip = await service('haproxy/vip-e2e.example.test@EXAMPLE.TEST');
    t.truthy(vip, 'a managed service another host still manages stays');
    t.false((vip!.attrs['managedby'] ?? []).some((dn) => dn.startsWith(`fqdn=${FQDN},`)));
    const record = await env.ipa.emulator.rpc('dnsrecord_show', ['example.test', 'some-server'], { version: '2.230' }, env.ipa.clientPrincipal);
    t.is(record.error?.code, 4001, 'A record removed');
  });

  test.serial(`${format} update removes services no longer asked for, and a changed update adds them`, async (t) => {
    await enrollFixtureInstance();
    const update = byName(`update--${format}`);
    await publish(update);
    await until('the compact subhost to go', () => host('some-server.ctlplane.example.test'), (h) => h === null);
    t.truthy(await host(FQDN), 'the host itself stays');
    const vip = await until('the host to stop managing the shared VIP service', () => service('haproxy/vip-e2e.example.test@EXAMPLE.TEST'), (v) => !(v?.attrs['managedby'] ?? []).some((dn) => dn.startsWith(`fqdn=${FQDN},`)));
    t.truthy(vip, 'the VIP service stays for the peer that still manages it');

    await publish(update, (data) => {
      data['metadata'] = { ipa_enroll: 'True', compact_service_HTTP: '["storage"]' };
    });
    // service_add and service_add_host are two items of one batch: wait for both, not the first alone
    const added = await until('the new service, managed by the host', () => service('HTTP/some-server.storage.example.test@EXAMPLE.TEST'), (s) =>
      (s?.attrs['managedby'] ?? []).some((dn) => dn.startsWith(`fqdn=${FQDN},`)),
    );
    t.truthy(await host('some-server.storage.example.test'), 'its subhost too');
    t.truthy(added);
  });

  test.serial(`${format} rebuild.end disables the enrolled host, and the next join hands out a new OTP`, async (t) => {
    const first = await enrollFixtureInstance();
    await env.ipa.emulator.simulateEnrollment(FQDN, first['ipaotp']!);
    t.false('ipaotp' in (await join(INSTANCE, 'some-server', { ipa_enroll: 'True' })).body);
    await publish(byName(`rebuild--${format}`));
    await until('the host to lose its keys', () => host(FQDN), (h) => h !== null && !(h.attrs['krbprincipalkey']?.length));
    const again = await join(INSTANCE, 'some-server', { ipa_enroll: 'True' });
    t.regex(again.body['ipaotp'] ?? '', /^[0-9a-f]{40}$/);
    t.not(again.body['ipaotp'], first['ipaotp']);
  });

  test.serial(`${format} create.end changes nothing (fixed-IP DNS is off by default)`, async (t) => {
    await enrollFixtureInstance();
    const before = await host(FQDN);
    const settled = settledCount();
    await publish(byName(`create--${format}`));
    await until('the message to be handled', async () => settledCount(), (n) => n > settled);
    t.deepEqual(await host(FQDN), before);
  });
}

test.serial('a delete for an instance whose name is bound to another instance changes nothing (B2)', async (t) => {
  await removeHost(FQDN);
  const owner = randomUUID();
  t.is((await join(owner, 'some-server', { ipa_enroll: 'True' })).status, 200);
  const before = await host(FQDN);
  const settled = settledCount();
  await publish(byName('delete--versioned'));
  await until('the delete to be handled', async () => settledCount(), (n) => n > settled);
  t.deepEqual(await host(FQDN), before);
});

test.serial('a poison message goes to the dead-letter queue and the next good message is still applied', async (t) => {
  const victim = randomUUID();
  t.is((await join(victim, 'poison-next', { ipa_enroll: 'True' })).status, 200);
  // Whatever else can write to the exchange: not Nova's publisher, so amqplib.
  broker.channel.publish('nova', 'novajoin_notifications.info', Buffer.from('{"oslo.version": "2.0", "oslo.message": "{not json'), { contentType: 'application/json' });
  broker.channel.publish('nova', 'novajoin_notifications.info', osloBody({ ...legacyDelete(victim), payload: { ...(legacyDelete(victim)['payload'] as object), tenant_id: PROJECT } }), { contentType: 'application/json' });
  await until('the good delete', () => host('poison-next.example.test'), (h) => h === null);
  const dead = await until('the dead letter', () => broker.channel.get(config.notifications.deadLetterQueue, { noAck: true }), (m) => m !== false);
  t.truthy(dead && dead.properties.headers?.['x-novajoin-reason']);
});

test.serial('FreeIPA down while 100 deletes arrive: none lost, all applied once it is back', async (t) => {
  const instances = Array.from({ length: 100 }, () => randomUUID());
  for (const [i, instance] of instances.entries()) {
    const res = await join(instance, `storm-${i}`, { ipa_enroll: 'True' });
    if (res.status !== 200) throw new Error(`join ${i}: ${JSON.stringify(res.body)}`);
  }
  await env.ipa.emulator.setMode('refuse');
  try {
    const deletes = instances.map((instance, i) => fromFixture(byName('delete--unversioned'), (payload) => {
      Object.assign(payload, { instance_id: instance, tenant_id: PROJECT, hostname: `storm-${i}`, display_name: `storm-${i}` });
    }));
    t.is(await osloPublish(novaConf, 'nova', deletes), instances.length);
    await until('retries to start', async () => metrics().retries, (n) => n >= 10);
  } finally {
    await env.ipa.emulator.setMode('up');
  }
  const started = Date.now();
  await until(
    'every host to be deleted',
    async () => (await Promise.all(instances.map((_, i) => host(`storm-${i}.example.test`)))).filter((h) => h !== null).length,
    (left) => left === 0,
    { timeoutMs: 60_000 },
  );
  t.log(`100 deletes applied ${Date.now() - started} ms after FreeIPA came back`);
  t.is(metrics().deadLettered, 1, 'only the poison message of the earlier test was dead-lettered');
});

test.serial("Neutron's floatingip.update.end, through oslo.messaging: associate adds the A record, disassociate removes it", async (t) => {
  await enrollFixtureInstance();
  const records = async () => {
    const shown = await env.ipa.emulator.rpc('dnsrecord_show', ['example.test', 'some-server'], { version: '2.230' }, env.ipa.clientPrincipal);
    return shown.error ? [] : (((shown.result as { result?: Record<string, unknown> })?.result?.['arecord'] as string[] | undefined) ?? []);
  };
  const fip = { id: randomUUID(), floating_network_id: randomUUID(), router_id: randomUUID(), status: 'ACTIVE', tenant_id: PROJECT, project_id: PROJECT };
  // Zed's Neutron names the server in port_details (fip-port-details).
  const port = randomUUID();
  await publishFloatingIp({ ...fip, floating_ip_address: '203.0.113.21', port_id: port, fixed_ip_address: '10.0.0.5', port_details: { device_id: INSTANCE, device_owner: 'compute:nova', status: 'ACTIVE' } });
  await until('the A record', records, (a) => a.includes('203.0.113.21'));
  // Without port_details the port is looked up in Neutron.
  const looked = env.openstack.addPort({ deviceId: INSTANCE, deviceOwner: 'compute:nova', projectId: PROJECT, fixedIps: [{ ipAddress: '10.0.0.6' }] });
  await publishFloatingIp({ ...fip, id: randomUUID(), floating_ip_address: '203.0.113.22', port_id: looked, fixed_ip_address: '10.0.0.6' });
  await until('the second A record', records, (a) => a.includes('203.0.113.22'));

  await publishFloatingIp({ ...fip, floating_ip_address: '203.0.113.21', port_id: null, fixed_ip_address: null, router_id: null, port_details: null });
  const left = await until('the first A record to go', records, (a) => !a.includes('203.0.113.21'));
  t.true(left.includes('203.0.113.22'));
});
