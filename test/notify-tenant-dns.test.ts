/**
 * What a tenant can steer through notifications (issue 11, items 1, 2 and
 * 9), through the real path: Nova and Neutron messages published to
 * RabbitMQ, the listener, the test FreeIPA. Fixed-IP records go only to the
 * host bound to the instance; deleted floating IPs and ports leave that
 * host's records; an update asking for a principal outside our names gets
 * nothing.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import type { RunningNotify } from '../src/notify/start.js';
import type { RunningServer } from '../src/server/start.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { openBroker, osloBody } from './support/notify.js';
import { until } from './support/until.js';

let env: NovajoinEnv;
let server: RunningServer;
let notify: RunningNotify;
let broker: { model: ChannelModel; channel: Channel };
const id = randomUUID();
const exchange = { nova: `dns-nova-${id}`, neutron: `dns-neutron-${id}` };
const queue = `dns-novajoin-${id}`;
let project: string;

test.before(async () => {
  env = await startNovajoinEnv();
  project = env.openstack.projects.demo.id;
  const config = await env.config(
    [
      '[DEFAULT]',
      'fixed_ip_dns = True',
      'floating_ip_dns = True',
      '[notifications]',
      `dead_letter_queue = ${queue}.dead`,
      `retry_queue_prefix = ${queue}`,
      `exchanges = ${exchange.nova}, ${exchange.neutron}`,
      `topics = ${queue}`,
      'retry_initial = 0.1',
      'retry_max = 0.2',
      'health_file = ',
      `[${env.openstack.projects.demo.name}]`,
      'allowed_services = *',
    ].join('\n'),
  );
  server = await env.startServer(config);
  notify = await env.startNotify(config);
  broker = await openBroker();
});

test.after.always(async () => {
  if (broker) {
    for (const q of [`${queue}.info`, `${queue}.error`, `${queue}.dead`]) await broker.channel.deleteQueue(q).catch(() => undefined);
    for (const ex of Object.values(exchange)) await broker.channel.deleteExchange(ex).catch(() => undefined);
    await broker.model.close().catch(() => undefined);
  }
  await env?.stop();
});

async function join(instanceId: string, hostname: string) {
  const res = await fetch(`${server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': env.novaToken() },
    body: JSON.stringify({ 'project-id': project, 'instance-id': instanceId, 'image-id': '', hostname, metadata: { ipa_enroll: 'True' } }),
  });
  if (res.status !== 200) throw new Error(`join ${hostname}: ${res.status}`);
}

function publish(source: 'nova' | 'neutron', eventType: string, payload: Record<string, unknown>): void {
  const message = {
    message_id: randomUUID(), publisher_id: source === 'nova' ? 'compute.compute1' : 'network.ctl1', event_type: eventType, priority: 'INFO',
    payload, timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''), _unique_id: randomUUID().replace(/-/g, ''),
  };
  broker.channel.publish(exchange[source], `${queue}.info`, osloBody(message), { contentType: 'application/json', deliveryMode: 2 });
}

const createEnd = (instanceId: string, hostname: string, address: string, metadata: Record<string, string> = {}) =>
  publish('nova', 'compute.instance.create.end', {
    instance_id: instanceId, tenant_id: project, hostname, metadata, state: 'active',
    fixed_ips: [{ address, version: 4, type: 'fixed', label: 'private' }],
  });

async function aRecords(name: string): Promise<string[]> {
  const res = await env.ipa.emulator.rpc('dnsrecord_show', ['example.test', name], { version: '2.230' }, env.ipa.clientPrincipal);
  return res.error ? [] : (((res.result as any)?.result?.arecord as string[] | undefined) ?? []);
}

/** Messages the listener finished with (acked or dead-lettered; a retry is not an end). */
const settled = () =>
  notify.listener.consumer.metrics.snapshot().messages.filter((m) => m.outcome !== 'retried' && m.outcome !== 'requeued').reduce((n, m) => n + m.count, 0);

test.serial("create.end with another instance's hostname, or the FreeIPA server's, adds no record to it", async (t) => {
  const victim = `victim-${randomUUID().slice(0, 6)}`;
  await join(randomUUID(), victim);
  const before = settled();
  createEnd(randomUUID(), victim, '198.51.100.66');
  createEnd(randomUUID(), 'ipa', '198.51.100.67', { ipa_enroll: 'True' });
  await until('both creates to be handled', async () => settled(), (n) => n >= before + 2);
  t.deepEqual(await aRecords(victim), []);
  t.false((await aRecords('ipa')).includes('198.51.100.67'));
});

test.serial('create.end for an enrolled instance adds its fixed IP to its host, also when the guest asks for its OTP after create.end', async (t) => {
  const early = randomUUID();
  const earlyName = `early-${randomUUID().slice(0, 6)}`;
  await join(early, earlyName);
  createEnd(early, earlyName, '198.51.100.10');
  await until('the record of the enrolled host', () => aRecords(earlyName), (r) => r.includes('198.51.100.10'));

  const late = randomUUID();
  const lateName = `late-${randomUUID().slice(0, 6)}`;
  createEnd(late, lateName, '198.51.100.11', { ipa_enroll: 'True' });
  await new Promise((r) => setTimeout(r, 300));
  await join(late, lateName);
  await until('the record of the host that enrolled after create.end', () => aRecords(lateName), (r) => r.includes('198.51.100.11'));
  t.pass();
});

test.serial('floatingip.delete.end of an associated address removes it from the bound host only', async (t) => {
  const instance = randomUUID();
  const name = `fip-${randomUUID().slice(0, 6)}`;
  await join(instance, name);
  const other = `other-${randomUUID().slice(0, 6)}`;
  await join(randomUUID(), other);
  const address = '203.0.113.40';
  const fip = (portId: string | null) => ({
    id: randomUUID(), floating_ip_address: address, port_id: portId, fixed_ip_address: portId ? '10.0.0.5' : null, tenant_id: project, project_id: project,
    port_details: portId ? { device_id: instance, device_owner: 'compute:nova', status: 'ACTIVE', name: '', network_id: randomUUID(), mac_address: 'fa:16:3e:00:00:01', admin_state_up: true } : null,
  });
  publish('neutron', 'floatingip.update.end', { floatingip: fip(randomUUID()) });
  await until('the floating record', () => aRecords(name), (r) => r.includes(address));
  // The same address on another host (an administrator's record) is not ours to remove.
  t.is((await env.ipa.emulator.rpc('dnsrecord_add', ['example.test', other], { arecord: [address], version: '2.230' }, env.ipa.clientPrincipal)).error, null);

  const deleted = fip(randomUUID());
  publish('neutron', 'floatingip.delete.end', { floatingip: deleted, floatingip_id: deleted.id });
  await until('the floating record to go', () => aRecords(name), (r) => !r.includes(address));
  t.deepEqual(await aRecords(other), [address]);
});

test.serial("port.delete.end removes the port's fixed IPs from the bound host", async (t) => {
  const instance = randomUUID();
  const name = `port-${randomUUID().slice(0, 6)}`;
  await join(instance, name);
  createEnd(instance, name, '198.51.100.20');
  await until('the fixed record', () => aRecords(name), (r) => r.includes('198.51.100.20'));
  const portId = randomUUID();
  publish('neutron', 'port.delete.end', {
    port_id: portId,
    port: { id: portId, device_id: instance, device_owner: 'compute:nova', fixed_ips: [{ subnet_id: randomUUID(), ip_address: '198.51.100.20' }], network_id: randomUUID() },
  });
  await until('the fixed record to go', () => aRecords(name), (r) => !r.includes('198.51.100.20'));
  t.truthy(await env.ipa.emulator.getHost(`${name}.example.test`), 'the host stays');
});

test.serial('an update asking for a principal outside the domain creates nothing for it, and is counted', async (t) => {
  const instance = randomUUID();
  const name = `upd-${randomUUID().slice(0, 6)}`;
  await join(instance, name);
  publish('nova', 'compute.instance.update', {
    instance_id: instance, tenant_id: project, hostname: name, state: 'active',
    metadata: { ipa_enroll: 'True', managed_service_own: `HTTP/${name}.example.test`, managed_service_bank: 'HTTP/www.bank.example.com' },
  });
  await until('the allowed service on its own host', () => env.ipa.emulator.getService(`HTTP/${name}.example.test@EXAMPLE.TEST`), (s) => s !== null);
  t.is(await env.ipa.emulator.getHost('www.bank.example.com'), null);
  t.is(await env.ipa.emulator.getService('HTTP/www.bank.example.com@EXAMPLE.TEST'), null);
  t.regex(await notify.listener.consumer.metrics.registry.render(), /novajoin_notify_service_requests_refused_total [1-9]/);
});
