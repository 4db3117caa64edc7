/**
 * Shared by the notify-*.test.ts files: the real Nova notifications of
 * test/fixtures/nova-notifications, a recording EventHandler (a real implementation of the
 * interface, scripted per test), and RabbitMQ helpers. Every test gets its own
 * queue and exchange names (randomUUID), so files can run concurrently.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Channel, type ChannelModel, type Options } from 'amqplib';
import type { ExecutionContext } from 'ava';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { DeliveryContext, EventEnvelope, EventHandler, InstanceFacts } from '../../src/notify/types.js';
import { consumedQueues, retryQueueNames, retryTarget } from '../../src/notify/topology.js';
import { runCommand } from './tmp.js';
import { NotificationConsumer, type NotificationConsumerOptions } from '../../src/notify/consumer.js';
import { silentLogger } from '../../src/log/logger.js';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';

const FIXTURE_DIR = new URL('../fixtures/nova-notifications/', import.meta.url);

export interface Fixture {
  readonly file: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Record<string, unknown>;
  /** The AMQP body, as bytes. */
  readonly body: Buffer;
  /** The body decoded once: the oslo envelope. */
  readonly envelope: Record<string, unknown>;
  /** The inner oslo message (oslo.message parsed). */
  readonly message: Record<string, unknown>;
}

/** Every fixture file; the body is the file's exact body, serialised as JSON text. */
export function loadFixtures(): Fixture[] {
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no fixtures in ${FIXTURE_DIR.pathname}`);
  return files.map((file) => {
    const raw = JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8')) as Record<string, unknown>;
    const body = typeof raw['body'] === 'string' ? raw['body'] : JSON.stringify(raw['body']);
    const envelope = JSON.parse(body) as Record<string, unknown>;
    const message = JSON.parse(String(envelope['oslo.message'])) as Record<string, unknown>;
    return {
      file,
      exchange: String(raw['exchange']),
      routingKey: String(raw['routing_key']),
      properties: (raw['properties'] ?? {}) as Record<string, unknown>,
      body: Buffer.from(body, 'utf8'),
      envelope,
      message,
    };
  });
}

/** The fixture's AMQP properties in amqplib's spelling. */
export function publishOptions(properties: Record<string, unknown>): Options.Publish {
  const options: Options.Publish = {};
  if (typeof properties['content_type'] === 'string') options.contentType = properties['content_type'];
  if (typeof properties['content_encoding'] === 'string') options.contentEncoding = properties['content_encoding'];
  options.deliveryMode = typeof properties['delivery_mode'] === 'number' ? properties['delivery_mode'] : 2;
  if (typeof properties['priority'] === 'number') options.priority = properties['priority'];
  if (properties['headers'] && typeof properties['headers'] === 'object') options.headers = properties['headers'];
  return options;
}

/** A oslo messagingv2 body around `inner`, as Nova's driver builds it. */
export function osloBody(inner: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) }), 'utf8');
}

/** A legacy delete for `instanceId`, with a fresh _unique_id unless given. */
export function legacyDelete(instanceId: string, uniqueId = randomUUID().replace(/-/g, '')): Record<string, unknown> {
  return {
    message_id: randomUUID(),
    publisher_id: 'compute.compute1',
    event_type: 'compute.instance.delete.end',
    priority: 'INFO',
    payload: { instance_id: instanceId, tenant_id: 'p1', hostname: 'vm', metadata: { ipa_enroll: 'True' }, state: 'deleted' },
    timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''),
    _unique_id: uniqueId,
  };
}

type Script = (envelope: EventEnvelope, context: DeliveryContext | undefined, call: number) => Promise<'applied' | 'ignored'>;

/**
 * A real EventHandler that records every call and what it returned. `script`
 * decides the answer (default: applied); `waitFor` resolves when a predicate
 * over the records holds, or rejects after a deadline so a test fails rather
 * than hangs.
 */
export class RecordingHandler implements EventHandler {
  readonly calls: Array<{ envelope: EventEnvelope; attempt: number; redelivered: boolean }> = [];
  readonly applied: EventEnvelope[] = [];
  private readonly waiters = new Set<() => void>();
  constructor(private readonly script: Script = async () => 'applied') {}

  async handle(envelope: EventEnvelope, context?: DeliveryContext): Promise<'applied' | 'ignored'> {
    this.calls.push({ envelope, attempt: context?.attempt ?? -1, redelivered: context?.redelivered ?? false });
    this.wake();
    const result = await this.script(envelope, context, this.calls.length);
    if (result === 'applied') this.applied.push(envelope);
    this.wake();
    return result;
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

/** Resolves when `emitter` emits `event` with arguments matching `predicate`; rejects after a deadline. */
export function waitForEvent<A extends unknown[]>(
  emitter: { on(e: string, l: (...args: A) => void): unknown; off(e: string, l: (...args: A) => void): unknown },
  event: string,
  predicate: (...args: A) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: A) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for event ${event}`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** [notifications] lines for a listener under test: retries 0.2 s apart at first and at most 1 s, a short drain, no health file. */
export const QUICK_LISTENER: readonly string[] = ['retry_initial = 0.2', 'retry_max = 1', 'drain_timeout = 5', 'health_file = '];

export type NotifyConfig = Config['notifications'];

export type TestNotifyConfig = NotifyConfig & {
  nova: string;
  neutron: string;
  /** The queue retries come back to, `<first topic>.info`: where an unhandled message waits. */
  queue: string;
  /** Routing keys of the two topics' INFO notifications. */
  routingKey: string;
  versionedKey: string;
};

/**
 * A per-test notifications config: unique topics (the listener reads oslo's
 * `<topic>.<priority>` queues, so a shared topic would be a shared queue),
 * exchanges (standing in for `nova` and `neutron`), dead-letter and retry
 * queues; fast retries, no health file and no HTTP port unless asked.
 */
export function testConfig(overrides: Partial<NotifyConfig> = {}): TestNotifyConfig {
  const id = randomUUID();
  const base = defaultConfig().notifications;
  const nova = `test-nova-${id}`;
  const neutron = `test-neutron-${id}`;
  const config = {
    ...base,
    transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/',
    retryQueuePrefix: `test-novajoin-${id}`,
    deadLetterQueue: `test-novajoin-${id}.dead`,
    exchanges: [nova, neutron],
    topics: [`test-notifications-${id}`, `test-versioned-${id}`],
    prefetch: 8,
    retryInitialMs: 50,
    retryMaxMs: 400,
    drainTimeoutMs: 5000,
    healthFile: '',
    metricsPort: 0,
    ...overrides,
  };
  return { ...config, nova, neutron, queue: retryTarget(config), routingKey: `${config.topics[0]}.info`, versionedKey: `${config.topics[1] ?? config.topics[0]}.info` };
}

/** A fixture's routing key with its topic swapped for the test's own (legacy first, versioned second). */
export function testRoutingKey(config: TestNotifyConfig, fixtureKey: string): string {
  if (fixtureKey.startsWith('versioned_notifications.')) return config.versionedKey;
  if (fixtureKey.startsWith('novajoin_notifications.')) return config.routingKey;
  throw new Error(`no test topic for the fixture routing key ${fixtureKey}`);
}

/** A plain connection for the test's own publishing and inspection. */
export async function openBroker(): Promise<{ model: ChannelModel; channel: Channel }> {
  const model = await connect(AMQP_URL, { timeout: 10_000 });
  model.on('error', () => undefined);
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  return { model, channel };
}

/** Deletes what a test's consumer declared. Uses its own connection: the test's may be gone. */
export async function deleteTopology(config: NotifyConfig): Promise<void> {
  const { model, channel } = await openBroker();
  try {
    const queues = [...consumedQueues(config), config.deadLetterQueue, ...retryQueueNames(config)];
    for (const q of queues) await channel.deleteQueue(q);
    for (const ex of config.exchanges) await channel.deleteExchange(ex);
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Gets up to `max` messages from `queue` (acked), waiting up to timeoutMs for the first. */
export async function drainQueue(channel: Channel, queue: string, expect: number, timeoutMs = 20_000) {
  const out = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < expect && Date.now() < deadline) {
    const msg = await channel.get(queue, { noAck: true });
    if (msg) out.push(msg);
    else await new Promise((r) => setTimeout(r, 25));
  }
  return out;
}

/** Registers teardown of the test's queues and exchanges. */
export function cleanupAfter(t: ExecutionContext, config: NotifyConfig): void {
  t.teardown(() => deleteTopology(config));
}

/**
 * The broker's pid of the connection whose `connection_name` client property
 * is `connectionName` (close_connection wants the pid; the JSON formatter
 * prints it in Elixir syntax, so the tab-separated form is read).
 */
export async function findConnection(connectionName: string): Promise<string | null> {
  const { stdout } = await runCommand('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], { timeoutMs: 30_000 });
  const needle = `{"connection_name","${connectionName}"}`;
  const line = stdout.split('\n').find((l) => l.includes(needle));
  return line ? (line.split('\t')[0] ?? null) : null;
}

/** Has the broker close a client's connection, as an operator or a broker restart would. */
export async function closeBrokerConnection(connectionName: string): Promise<void> {
  const pid = await findConnection(connectionName);
  if (!pid) throw new Error(`no broker connection named ${connectionName}`);
  await runCommand('rabbitmqctl', ['-q', 'close_connection', pid, 'test: broker went away'], { timeoutMs: 30_000 });
}

/** Ready (not unacked) messages in a queue, seen from a separate connection. */
export async function readyCount(queue: string): Promise<number> {
  const { model, channel } = await openBroker();
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Expected InstanceFacts for a fixture, read from its payload independently of the parser. */
export function expectedFacts(fixture: Fixture): InstanceFacts {
  const payload = fixture.message['payload'] as Record<string, unknown>;
  if ('nova_object.data' in payload) {
    const d = payload['nova_object.data'] as Record<string, unknown>;
    return {
      instanceId: d['uuid'] as string,
      projectId: d['tenant_id'] as string,
      hostname: d['host_name'] as string,
      displayName: d['display_name'] as string,
      imageId: d['image_uuid'] as string,
      metadata: d['metadata'] as Record<string, string>,
      imageMeta: {},
      fixedIps: [],
      state: d['state'] as string,
    };
  }
  return {
    instanceId: payload['instance_id'] as string,
    projectId: payload['tenant_id'] as string,
    hostname: payload['hostname'] as string,
    displayName: payload['display_name'] as string,
    // These captures had no Glance endpoint, so image_ref_url is the bare id.
    imageId: payload['image_ref_url'] as string,
    metadata: payload['metadata'] as Record<string, string>,
    imageMeta: payload['image_meta'] as Record<string, string>,
    fixedIps: [],
    state: payload['state'] as string,
  };
}

/** A consumer on `config` with fast reconnects, closed at teardown (before the topology is deleted). */
export async function startTestConsumer(
  t: ExecutionContext,
  config: NotifyConfig,
  handler: EventHandler,
  extra: Partial<NotificationConsumerOptions> = {},
): Promise<NotificationConsumer> {
  cleanupAfter(t, config);
  const consumer = new NotificationConsumer({ config, handler, logger: silentLogger(), reconnect: { initialMs: 50, maxMs: 500 }, ...extra });
  t.teardown(() => consumer.close());
  await consumer.start();
  return consumer;
}
