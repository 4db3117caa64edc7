/**
 * The listener against the real RabbitMQ at 127.0.0.1:5672: real Nova
 * messages in, a recording handler out. Each test has its own exchanges and
 * queues.
 */
import test from 'ava';
import { FreeIpaUnavailableError, NotFoundError } from '../src/freeipa/errors.js';
import type { MessageSettled } from '../src/notify/consumer.js';
import { NOTIFY_HEADERS } from '../src/notify/index.js';
import { parseNotification } from '../src/notify/parse.js';
import {
  drainQueue,
  expectedFacts,
  legacyDelete,
  loadFixtures,
  openBroker,
  osloBody,
  publishOptions,
  readyCount,
  RecordingHandler,
  startTestConsumer,
  testConfig,
  testRoutingKey,
  waitForEvent,
} from './support/notify.js';

const fixtures = loadFixtures();

test('every fixture, published as Nova published it, reaches the handler as the right event', async (t) => {
  const config = testConfig();
  const exchangeFor = (name: string) => (name === 'nova' ? config.nova : name === 'neutron' ? config.neutron : name);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  // Nova declared its exchanges first, the way oslo.messaging does: we must coexist with that.
  for (const ex of config.exchanges) await channel.assertExchange(ex, 'topic', { durable: false, autoDelete: false });

  const handler = new RecordingHandler();
  await startTestConsumer(t, config, handler);
  for (const f of fixtures) {
    t.true(channel.publish(exchangeFor(f.exchange), testRoutingKey(config, f.routingKey), f.body, publishOptions(f.properties)));
  }
  await handler.waitFor(() => handler.applied.length === fixtures.length, 'all fixtures applied');

  for (const f of fixtures) {
    const got = handler.applied.find((e) => e.uniqueId === f.message['_unique_id']);
    t.truthy(got, f.file);
    if (!got) continue;
    const action = f.file.split('--')[0];
    t.is(got.event.kind as string, `instance.${action}`, f.file);
    t.is(got.eventType, f.message['event_type'] as string);
    t.true('instance' in got.event);
    if ('instance' in got.event) t.deepEqual(got.event.instance, expectedFacts(f), f.file);
    const parsed = parseNotification(f.body);
    t.deepEqual(parsed.outcome === 'event' ? parsed.envelope : null, got);
  }
  t.is(await readyCount(config.queue), 0);
  t.is(await readyCount(config.deadLetterQueue), 0);
});

test('a Neutron floating IP update on the neutron exchange reaches the handler', async (t) => {
  const config = testConfig();
  const handler = new RecordingHandler();
  await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const body = osloBody({
    message_id: 'b6b1c1b0-0b1e-4c5e-9a51-2b7bb1b4f0a1', publisher_id: 'network.ctl1', event_type: 'floatingip.update.end', priority: 'INFO',
    timestamp: '2026-11-22 14:38:50.119257', _unique_id: 'f00dfeed00000000000000000000beef',
    payload: { floatingip: { floating_ip_address: '192.168.5.201', port_id: 'port-1', fixed_ip_address: '172.16.59.10', port_details: { device_id: 'vm-1', device_owner: 'compute:nova' } } },
  });
  channel.publish(config.neutron, config.routingKey, body, { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 });
  await handler.waitFor(() => handler.applied.length === 1, 'the floating IP event');
  t.deepEqual(handler.applied[0]?.event, { kind: 'floatingip.associate', floatingIp: '192.168.5.201', portId: 'port-1', deviceId: 'vm-1' });
});

test('a poison message goes to the dead-letter queue with its reason, and the next message is still handled', async (t) => {
  const config = testConfig();
  const handler = new RecordingHandler();
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const dead = waitForEvent<[{ reason: string }]>(consumer, 'dead_lettered');
  const poison = Buffer.from('{"oslo.version": "2.0", "oslo.message": "{not json"}');
  channel.publish(config.nova, config.versionedKey, poison, { contentType: 'application/json', headers: { trace: 'kept' } });
  const good = legacyDelete('11111111-2222-3333-4444-555555555555');
  channel.publish(config.nova, config.routingKey, osloBody(good), { contentType: 'application/json' });

  await handler.waitFor(() => handler.applied.length === 1, 'the good message');
  t.is(handler.applied[0]?.uniqueId, good['_unique_id'] as string);
  const [info] = await dead;
  t.regex(info.reason, /oslo\.message is not JSON/);

  const [letter] = await drainQueue(channel, config.deadLetterQueue, 1);
  t.truthy(letter);
  if (!letter) return;
  t.deepEqual(letter.content, poison);
  const headers = letter.properties.headers ?? {};
  t.regex(String(headers[NOTIFY_HEADERS.reason]), /oslo\.message is not JSON/);
  t.is(headers[NOTIFY_HEADERS.exchange], config.nova);
  t.is(headers[NOTIFY_HEADERS.routingKey], config.versionedKey);
  t.is(headers['trace'], 'kept');
  t.is(letter.properties.contentType, 'application/json');
  t.is(letter.properties.deliveryMode, 2);
  t.is(consumer.metrics.deadLettered, 1);
  t.is(await readyCount(config.queue), 0);
});

test('a handler error that is not transient dead-letters the message once, with the error as reason', async (t) => {
  const config = testConfig();
  const handler = new RecordingHandler(async (e) => {
    if (e.event.kind === 'instance.delete' && e.event.instance.instanceId === 'bad') throw new NotFoundError('host bad.example.test not found');
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('bad')));
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('good')));
  await handler.waitFor(() => handler.applied.length === 1 && handler.calls.length === 2, 'both messages handled');
  const [letter] = await drainQueue(channel, config.deadLetterQueue, 1);
  t.regex(String(letter?.properties.headers?.[NOTIFY_HEADERS.reason]), /^handler: NotFound.*not found/);
  t.is(handler.calls.filter((c) => c.envelope.event.kind === 'instance.delete' && c.envelope.event.instance.instanceId === 'bad').length, 1);
  t.is(consumer.metrics.retries, 0);
});

test('an unknown major payload version is skipped and acked, not dead-lettered', async (t) => {
  const config = testConfig();
  const handler = new RecordingHandler();
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const update = fixtures.find((f) => f.file.startsWith('update--versioned'))!;
  const future = structuredClone(update.message) as Record<string, any>;
  future['payload']['nova_object.version'] = '3.0';
  future['_unique_id'] = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const skipped = waitForEvent<[MessageSettled]>(consumer, 'message', (m) => m.outcome === 'skipped_version');
  channel.publish(config.nova, testRoutingKey(config, update.routingKey), osloBody(future), publishOptions(update.properties));
  channel.publish(config.nova, testRoutingKey(config, update.routingKey), update.body, publishOptions(update.properties));

  await skipped;
  await handler.waitFor(() => handler.applied.length === 1, 'the 2.0 update');
  t.is(handler.calls.length, 1);
  t.is(handler.applied[0]?.uniqueId, update.message['_unique_id'] as string);
  t.is(await readyCount(config.queue), 0);
  t.is(await readyCount(config.deadLetterQueue), 0);
  t.regex(await consumer.renderMetrics(), /novajoin_notify_messages_total\{kind="unsupported",outcome="skipped_version"\} 1/);
});

test('the same _unique_id delivered twice is applied once', async (t) => {
  const config = testConfig();
  // A slow handler, so that the second copy arrives while the first is in flight.
  const handler = new RecordingHandler(async () => {
    await new Promise((r) => setTimeout(r, 100));
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const duplicates: MessageSettled[] = [];
  consumer.on('message', (m) => m.outcome === 'duplicate' && duplicates.push(m));
  const first = legacyDelete('dup-instance', 'cafebabecafebabecafebabecafebabe');
  const body = osloBody(first);
  channel.publish(config.nova, config.routingKey, body);
  channel.publish(config.nova, config.routingKey, body);
  // And once more after the first is done: the window remembers it.
  await handler.waitFor(() => handler.applied.length === 1, 'the first copy');
  channel.publish(config.nova, config.routingKey, body);
  const marker = legacyDelete('marker');
  channel.publish(config.nova, config.routingKey, osloBody(marker));
  await handler.waitFor(() => handler.applied.some((e) => e.uniqueId === marker['_unique_id']), 'the marker');
  if (duplicates.length < 2) await waitForEvent(consumer, 'message', () => duplicates.length === 2);

  t.is(handler.calls.filter((c) => c.envelope.uniqueId === first['_unique_id']).length, 1);
  t.is(duplicates.length, 2);
  t.is(await readyCount(config.queue), 0);
});

test('a transient failure is retried with backoff and finally applied, while other messages go on', async (t) => {
  // prefetch 1: had the retry held the message (unacked, waiting on a timer),
  // the second message could never be delivered and this test would time out.
  const config = testConfig({ prefetch: 1, retryInitialMs: 50, retryMaxMs: 200 });
  let otherApplied = false;
  const handler = new RecordingHandler(async (e, ctx) => {
    if (e.event.kind === 'instance.delete' && e.event.instance.instanceId === 'flaky') {
      if (!otherApplied || (ctx?.attempt ?? 0) < 3) throw new FreeIpaUnavailableError('FreeIPA is down');
      return 'applied';
    }
    otherApplied = true;
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler);
  const retries: number[] = [];
  consumer.on('retry', (r) => retries.push(r.attempt));
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const flaky = legacyDelete('flaky');
  channel.publish(config.nova, config.routingKey, osloBody(flaky), { contentType: 'application/json', contentEncoding: 'utf-8' });
  await handler.waitFor(() => handler.calls.length >= 1, 'the first try');
  const other = legacyDelete('other');
  channel.publish(config.nova, config.routingKey, osloBody(other));

  await handler.waitFor(() => handler.applied.some((e) => e.uniqueId === flaky['_unique_id']), 'the flaky message applied');
  const flakyCalls = handler.calls.filter((c) => c.envelope.uniqueId === flaky['_unique_id']);
  t.true(flakyCalls.length >= 4);
  t.deepEqual(flakyCalls.map((c) => c.attempt), flakyCalls.map((_, i) => i));
  t.deepEqual(retries, flakyCalls.slice(1).map((c) => c.attempt));
  t.is(handler.applied.filter((e) => e.uniqueId === other['_unique_id']).length, 1);
  t.is(handler.applied.filter((e) => e.uniqueId === flaky['_unique_id']).length, 1);
  t.is(consumer.metrics.retries, flakyCalls.length - 1);
  t.is(await readyCount(config.queue), 0);
  t.is(await readyCount(config.deadLetterQueue), 0);
});

test('a retried message that later fails permanently reaches the DLQ with its original exchange and routing key', async (t) => {
  const config = testConfig({ retryInitialMs: 20, retryMaxMs: 40 });
  const handler = new RecordingHandler(async (_e, ctx) => {
    if ((ctx?.attempt ?? 0) < 2) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    throw new Error('instance binding mismatch');
  });
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const dead = waitForEvent(consumer, 'dead_lettered');
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('x')));
  await dead;
  const [letter] = await drainQueue(channel, config.deadLetterQueue, 1);
  const headers = letter?.properties.headers ?? {};
  t.is(headers[NOTIFY_HEADERS.exchange], config.nova);
  t.is(headers[NOTIFY_HEADERS.routingKey], config.routingKey);
  t.is(headers[NOTIFY_HEADERS.attempt], 2);
  t.regex(String(headers[NOTIFY_HEADERS.reason]), /binding mismatch/);
  t.falsy(headers['x-death']);
  t.is(handler.calls.length, 3);
});

test('a conflicting exchange declaration fails start() with a clear error instead of retrying forever', async (t) => {
  const config = testConfig({ exchangeDurable: false });
  const { model, channel } = await openBroker();
  t.teardown(async () => {
    const again = await openBroker();
    for (const ex of config.exchanges) await again.channel.deleteExchange(ex);
    await again.model.close();
    await model.close().catch(() => undefined);
  });
  await channel.assertExchange(config.nova, 'topic', { durable: true, autoDelete: false });
  const { NotificationConsumer } = await import('../src/notify/consumer.js');
  const { silentLogger } = await import('../src/log/logger.js');
  const consumer = new NotificationConsumer({ config, handler: new RecordingHandler(), logger: silentLogger() });
  await t.throwsAsync(consumer.start(), { message: /PRECONDITION/ });
  await consumer.close();
  t.is(consumer.state, 'stopped');
});
