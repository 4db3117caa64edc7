/**
 * The listener's queues as quorum queues, and publisher confirms on every
 * copy it makes: a retry or dead letter that RabbitMQ refuses (here: a
 * policy that makes the target queue reject every publish) leaves the
 * original unacknowledged and back in its queue, never lost; once RabbitMQ
 * takes the copy, the original is acked.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { FreeIpaUnavailableError } from '../src/freeipa/errors.js';
import { consumedQueues, retryQueueNames } from '../src/notify/topology.js';
import { drainQueue, legacyDelete, openBroker, osloBody, readyCount, RecordingHandler, startTestConsumer, testConfig, waitForEvent } from './support/notify.js';
import { runCommand } from './support/tmp.js';

/** A policy on exactly one queue of the default vhost that makes RabbitMQ nack every publish to it. */
async function refusePublishesTo(queue: string): Promise<() => Promise<void>> {
  const name = `novajoin-test-refuse-${randomUUID()}`;
  const pattern = `^${queue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  await runCommand('rabbitmqctl', ['-q', 'set_policy', '--apply-to', 'queues', '--priority', '100', name, pattern, '{"max-length":0,"overflow":"reject-publish"}'], { timeoutMs: 90_000 });
  return async () => {
    await runCommand('rabbitmqctl', ['-q', 'clear_policy', name], { timeoutMs: 90_000 });
  };
}

/** Queue types as the broker reports them. */
async function queueTypes(names: readonly string[]): Promise<Record<string, string>> {
  const { stdout } = await runCommand('rabbitmqctl', ['-q', 'list_queues', '--no-table-headers', 'name', 'type', 'durable'], { timeoutMs: 90_000 });
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [name = '', type = '', durable = ''] = line.split('\t');
    if (names.includes(name)) out[name] = `${type} ${durable === 'true' ? 'durable' : 'transient'}`;
  }
  return out;
}

test.serial('queue_type = quorum: the read queues, the delay queues and the dead-letter queue are quorum queues, and a retry comes back through them', async (t) => {
  t.timeout(180_000);
  const config = testConfig({ queueType: 'quorum', retryInitialMs: 50, retryMaxMs: 100 });
  const handler = new RecordingHandler(async (_e, ctx) => {
    if ((ctx?.attempt ?? 0) < 2) throw new FreeIpaUnavailableError('FreeIPA is down');
    return 'applied';
  });
  await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const m = legacyDelete('quorum-retry');
  channel.publish(config.nova, config.routingKey, osloBody(m), { deliveryMode: 2 });
  await handler.waitFor(() => handler.applied.length === 1, 'applied after two retries', 60_000);
  t.deepEqual(handler.calls.map((c) => c.attempt), [0, 1, 2]);
  const names = [...consumedQueues(config), ...retryQueueNames(config), config.deadLetterQueue];
  const types = await queueTypes(names);
  for (const name of names) t.is(types[name], 'quorum durable', name);
  t.is(await readyCount(config.queue), 0);
});

for (const queueType of ['classic', 'quorum'] as const) {
  test.serial(`${queueType}: a dead letter RabbitMQ refuses leaves the original in its queue; once taken, the original is acked`, async (t) => {
    t.timeout(180_000);
    const config = testConfig({ queueType });
    const consumer = await startTestConsumer(t, config, new RecordingHandler());
    const { model, channel } = await openBroker();
    t.teardown(() => model.close().catch(() => undefined));
    // A quorum queue refuses only once it is over its limit, not at it: one message puts it over.
    const filler = queueType === 'quorum' ? 1 : 0;
    if (filler) channel.sendToQueue(config.deadLetterQueue, Buffer.from('filler'));
    while ((await readyCount(config.deadLetterQueue)) < filler) await new Promise((r) => setTimeout(r, 50));
    const allow = await refusePublishesTo(config.deadLetterQueue);
    t.teardown(() => allow().catch(() => undefined));

    let requeued = 0;
    consumer.on('requeued', () => (requeued += 1));
    channel.publish(config.nova, config.routingKey, Buffer.from('{"oslo.version": "2.0", "oslo.message": "{not json'), { deliveryMode: 2 });
    await waitForEvent(consumer, 'requeued', () => requeued >= 3, 30_000);
    t.is(await readyCount(config.deadLetterQueue), filler, 'the copy was refused');
    t.is(consumer.metrics.deadLettered, 0);

    const dead = waitForEvent(consumer, 'dead_lettered', () => true, 60_000);
    // Back under its limit (a quorum queue then takes one more), and no limit at all.
    if (filler) t.is((await drainQueue(channel, config.deadLetterQueue, 1))[0]?.content.toString(), 'filler');
    await allow();
    await dead;
    const letters = await drainQueue(channel, config.deadLetterQueue, 1);
    t.truthy(letters[0]?.properties.headers?.['x-novajoin-reason']);
    t.is(await readyCount(config.queue), 0, 'the original was acked once its copy was confirmed');
  });
}

test.serial('a retry RabbitMQ refuses leaves the original in its queue, and it is retried once the delay queue takes it', async (t) => {
  t.timeout(180_000);
  const config = testConfig({ retryInitialMs: 50, retryMaxMs: 50 });
  const handler = new RecordingHandler(async (_e, ctx) => {
    if ((ctx?.attempt ?? 0) < 1) throw new FreeIpaUnavailableError('FreeIPA is down');
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler);
  const [delayQueue] = retryQueueNames(config);
  const allow = await refusePublishesTo(delayQueue!);
  t.teardown(() => allow().catch(() => undefined));
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  let requeued = 0;
  consumer.on('requeued', () => (requeued += 1));
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('refused-retry')), { deliveryMode: 2 });
  await waitForEvent(consumer, 'requeued', () => requeued >= 3, 30_000);
  t.is(consumer.metrics.retries, 0, 'no retry counted while RabbitMQ refuses the copy');
  t.is(handler.applied.length, 0);

  await allow();
  await handler.waitFor(() => handler.applied.length === 1, 'applied on attempt 1', 60_000);
  t.is(handler.calls.at(-1)?.attempt, 1);
  t.is(await readyCount(config.queue), 0);
});
