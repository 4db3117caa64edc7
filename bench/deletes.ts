/**
 * The delete part: novajoin-notify in its own process consumes Nova's
 * versioned `instance.delete.end` (the real captured message, with the
 * instance swapped in) from RabbitMQ and removes the hosts from the test
 * FreeIPA. Measured end to end: from the first publish until FreeIPA holds
 * none of the hosts. Lost = hosts still present after a bounded wait, plus
 * messages that ended in the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type ConfirmChannel } from 'amqplib';
import { loadConfigFile } from '../src/config/load.js';
import { formatBinding } from '../src/domain/binding.js';
import { consumedQueues, retryQueueNames } from '../src/notify/topology.js';
import type { BenchIpa } from './ipa.js';
import { cpuMsOf, forkTs, machineBusyMs, memoryOf, watchMemory, type Runtime } from './proc.js';

export const DEFAULT_FIXTURE = new URL('../test/fixtures/nova-notifications/delete--versioned--instance.delete.end.json', import.meta.url).pathname;
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';

export interface DeleteHost {
  readonly instanceId: string;
  readonly projectId: string;
  readonly hostname: string;
  readonly fqdn: string;
}

export interface DeleteSpec {
  readonly ipa: BenchIpa;
  readonly configFile: string;
  readonly hosts: readonly DeleteHost[];
  readonly latencyMs: number;
  /** Longest wait for the last host to go, after the last publish. */
  readonly waitMs: number;
  readonly fixture: string;
  readonly logFd: number;
  readonly nodeFlags: readonly string[];
  readonly runtime: Runtime;
}

export interface DeleteResult {
  readonly messages: number;
  /** Hosts that had to be created in FreeIPA first (not left by the join storm). */
  readonly seeded: number;
  readonly removed: number;
  /** Hosts still in FreeIPA at the end of the wait. */
  readonly remaining: number;
  readonly deadLettered: number;
  /** Messages parked in retry queues at the end (transient failures). */
  readonly retrying: number;
  readonly publishMs: number;
  /** First publish to last host gone (or to the end of the wait). */
  readonly elapsedMs: number;
  readonly perSecond: number;
  readonly roundTrips: number;
  readonly peakRss: number;
  /** CPU ms used during the deletes by novajoin-notify and by this process (the test FreeIPA). */
  readonly notifyCpuMs: number;
  readonly ipaCpuMs: number;
  /** CPU ms every other process of the machine used meanwhile. */
  readonly otherCpuMs: number;
}

interface Fixture {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Record<string, unknown>;
  readonly message: Record<string, unknown>;
}

function loadFixture(path: string): Fixture {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const body = typeof raw['body'] === 'string' ? raw['body'] : JSON.stringify(raw['body']);
  const envelope = JSON.parse(body) as Record<string, unknown>;
  return {
    exchange: String(raw['exchange']),
    routingKey: String(raw['routing_key']),
    properties: (raw['properties'] ?? {}) as Record<string, unknown>,
    message: JSON.parse(String(envelope['oslo.message'])) as Record<string, unknown>,
  };
}

/** The captured delete with this instance's identity, a fresh message id and _unique_id, in oslo's messagingv2 envelope. */
function deleteBody(fixture: Fixture, host: DeleteHost): Buffer {
  const message = structuredClone(fixture.message);
  const payload = message['payload'] as Record<string, Record<string, unknown>>;
  const data = payload['nova_object.data']!;
  data['uuid'] = host.instanceId;
  data['tenant_id'] = host.projectId;
  data['host_name'] = host.hostname;
  data['display_name'] = host.hostname;
  data['action_initiator_project'] = host.projectId;
  message['message_id'] = randomUUID();
  message['_unique_id'] = randomUUID().replace(/-/g, '');
  message['timestamp'] = new Date().toISOString().replace('T', ' ').replace('Z', '');
  message['_context_project_id'] = host.projectId;
  message['_context_project'] = host.projectId;
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }), 'utf8');
}

/** Hosts the storm did not leave behind are created as novajoin would have (same binding). */
async function seedHosts(ipa: BenchIpa, hosts: readonly DeleteHost[]): Promise<number> {
  let seeded = 0;
  for (const host of hosts) {
    if (await ipa.emulator.getHost(host.fqdn)) continue;
    const description = formatBinding({ kind: 'host', instanceId: host.instanceId, projectId: host.projectId, generation: 1, issuedAt: Math.floor(Date.now() / 1000) });
    const reply = await ipa.emulator.rpc('host_add', [host.fqdn], { force: true, description, userpassword: randomUUID() });
    if (reply.error) throw new Error(`seeding ${host.fqdn}: ${JSON.stringify(reply.error)}`);
    seeded += 1;
  }
  return seeded;
}

export async function runDeletes(spec: DeleteSpec): Promise<DeleteResult> {
  const { config } = loadConfigFile(spec.configFile);
  const notifications = config.notifications;
  const fixture = loadFixture(spec.fixture);
  const routingKey = `${notifications.topics[0]}.info`;
  const exchange = notifications.exchanges[0]!;

  const seeded = await seedHosts(spec.ipa, spec.hosts);
  spec.ipa.emulator.setLatency(spec.latencyMs);
  const notify = await forkTs<{ type: 'ready'; pid: number }>('bench/notify-process.ts', {
    args: ['--config-file', spec.configFile],
    nodeFlags: spec.nodeFlags,
    logFd: spec.logFd,
    runtime: spec.runtime,
  });
  const memory = watchMemory(notify.pid);
  const model = await connect(AMQP_URL, { timeout: 10_000 });
  model.on('error', () => undefined);
  try {
    const channel: ConfirmChannel = await model.createConfirmChannel();
    const bodies = spec.hosts.map((host) => deleteBody(fixture, host));
    spec.ipa.emulator.resetCounters();
    const remaining = new Set(spec.hosts.map((h) => h.fqdn));
    const cpu0 = { notify: cpuMsOf(notify.pid), self: process.cpuUsage(), machine: machineBusyMs() };
    const started = performance.now();
    for (const body of bodies) {
      // Nova's notifier: the captured properties, persistent as oslo's rabbit driver sends them.
      const ok = channel.publish(exchange, routingKey, body, {
        contentType: String(fixture.properties['content_type'] ?? 'application/json'),
        contentEncoding: String(fixture.properties['content_encoding'] ?? 'utf-8'),
        deliveryMode: 2,
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    const publishMs = performance.now() - started;

    // Watching 1,000 entries every few ms would load the test FreeIPA this
    // process also runs; its host_del counter is free to read. Until it has
    // seen one host_del per message, only the counter is polled (its moment
    // is the end time); then the entries themselves say which hosts are gone.
    let lastGone = started;
    const deadline = performance.now() + spec.waitMs;
    const hostDels = () => spec.ipa.emulator.counters().commands['host_del'] ?? 0;
    while (hostDels() < spec.hosts.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    lastGone = performance.now();
    while (performance.now() < deadline) {
      for (const fqdn of [...remaining]) if (!(await spec.ipa.emulator.getHost(fqdn))) remaining.delete(fqdn);
      if (remaining.size === 0) break;
      // Some deletes failed or are being retried: wait for them, entry by entry.
      await new Promise((r) => setTimeout(r, 100));
      lastGone = performance.now();
    }
    const elapsedMs = (remaining.size === 0 ? lastGone : performance.now()) - started;
    const selfCpu = process.cpuUsage(cpu0.self);
    const notifyCpuMs = cpuMsOf(notify.pid) - cpu0.notify;
    const machineMs = machineBusyMs() - cpu0.machine;
    const roundTrips = spec.ipa.emulator.counters().roundTrips;
    const deadLettered = (await channel.checkQueue(notifications.deadLetterQueue)).messageCount;
    let retrying = 0;
    for (const queue of retryQueueNames(notifications)) retrying += (await channel.checkQueue(queue)).messageCount;
    const removed = spec.hosts.length - remaining.size;
    await channel.close();
    return {
      messages: spec.hosts.length,
      seeded,
      removed,
      remaining: remaining.size,
      deadLettered,
      retrying,
      publishMs,
      elapsedMs,
      perSecond: removed / (elapsedMs / 1000),
      roundTrips,
      peakRss: Math.max(memory.stop(), memoryOf(notify.pid)?.peak ?? 0),
      notifyCpuMs,
      ipaCpuMs: (selfCpu.user + selfCpu.system) / 1000,
      otherCpuMs: Math.max(0, machineMs - notifyCpuMs - (selfCpu.user + selfCpu.system) / 1000),
    };
  } finally {
    memory.stop();
    await notify.stop();
    await deleteTopology([...consumedQueues(notifications), notifications.deadLetterQueue, ...retryQueueNames(notifications)], exchange).catch(() => undefined);
    await model.close().catch(() => undefined);
  }
}

/** The run's own queues and exchange go away with it: the broker is shared. */
async function deleteTopology(queues: readonly string[], exchange: string): Promise<void> {
  const model = await connect(AMQP_URL, { timeout: 10_000 });
  model.on('error', () => undefined);
  try {
    const channel = await model.createChannel();
    for (const q of queues) await channel.deleteQueue(q);
    await channel.deleteExchange(exchange);
  } finally {
    await model.close().catch(() => undefined);
  }
}
