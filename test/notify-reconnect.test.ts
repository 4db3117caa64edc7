/**
 * Broker loss: the broker closes the listener's connection (rabbitmqctl
 * close_connection, found by our connection_name), the queue disappears, the
 * first broker of the list is down. Nothing may be lost or applied twice.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../src/log/logger.js';
import type { MessageSettled } from '../src/notify/consumer.js';
import {
  closeBrokerConnection,
  findConnection,
  legacyDelete,
  openBroker,
  osloBody,
  readyCount,
  RecordingHandler,
  startTestConsumer,
  testConfig,
  waitForEvent,
} from './support/notify.js';

const idOf = (m: Record<string, unknown>) => m['_unique_id'] as string;

test('the broker closes our connection: the listener reconnects, re-declares, and nothing is lost or applied twice', async (t) => {
  const config = testConfig();
  const connectionName = `novajoin-notify-test-${randomUUID()}`;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = new RecordingHandler(async (e) => {
    if (e.event.kind === 'instance.delete' && e.event.instance.instanceId === 'in-flight') await gate;
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler, { connectionName });
  const settled: MessageSettled[] = [];
  consumer.on('message', (m) => settled.push(m));
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const publish = (m: Record<string, unknown>) => channel.publish(config.nova, config.routingKey, osloBody(m), { deliveryMode: 2 });

  const before = legacyDelete('before');
  publish(before);
  await handler.waitFor(() => handler.applied.length === 1, 'the first message');

  const inFlight = legacyDelete('in-flight');
  publish(inFlight);
  await handler.waitFor(() => handler.calls.some((c) => c.envelope.uniqueId === idOf(inFlight)), 'the in-flight message to start');

  const oldName = await findConnection(connectionName);
  t.truthy(oldName);
  // rabbitmqctl starts an Erlang VM per call: on a loaded machine closing the connection alone takes seconds.
  const disconnected = waitForEvent(consumer, 'disconnected', undefined, 60_000);
  const reconnected = waitForEvent(consumer, 'connected', undefined, 60_000);
  await closeBrokerConnection(connectionName);
  await disconnected;
  // Published while we are away: the durable queue keeps it.
  const during = legacyDelete('during');
  publish(during);
  // The in-flight work completes after its connection died: its ack is lost, the broker redelivers.
  release();
  await reconnected;
  const after = legacyDelete('after');
  publish(after);

  await handler.waitFor(
    () => [before, inFlight, during, after].every((m) => handler.applied.some((e) => e.uniqueId === idOf(m))),
    'all four messages applied',
  );
  const redelivery = (m: MessageSettled) => m.uniqueId === idOf(inFlight) && m.outcome === 'duplicate';
  if (!settled.some(redelivery)) await waitForEvent<[MessageSettled]>(consumer, 'message', redelivery);

  for (const m of [before, inFlight, during, after]) {
    t.is(handler.applied.filter((e) => e.uniqueId === idOf(m)).length, 1, String((m['payload'] as Record<string, unknown>)['instance_id']));
  }
  t.is(consumer.state, 'consuming');
  t.is(consumer.metrics.reconnects, 1);
  const newName = await findConnection(connectionName);
  t.truthy(newName);
  t.not(newName, oldName);
  await consumer.close();
  t.is(await readyCount(config.queue), 0);
});

test('the queue is deleted under the listener: it is re-declared and consuming resumes', async (t) => {
  const config = testConfig();
  const handler = new RecordingHandler();
  const consumer = await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const reconnected = waitForEvent(consumer, 'connected');
  await channel.deleteQueue(config.queue);
  await reconnected;
  const m = legacyDelete('after-delete');
  channel.publish(config.nova, config.versionedKey, osloBody({ ...m, event_type: 'compute.instance.delete.end' }));
  await handler.waitFor(() => handler.applied.length === 1, 'the message after the re-declare');
  t.is(handler.applied[0]?.uniqueId, idOf(m));
});

test('with several brokers, an unreachable first one falls back to the next; the password is never logged', async (t) => {
  const config = testConfig();
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ stream, format: 'json' });
  const handler = new RecordingHandler();
  // Port 1 refuses connections; the second host has its own credentials, oslo style.
  const url = 'rabbit://nova:hunter2-never-logged@127.0.0.1:1,guest:guest@127.0.0.1:5672/';
  const consumer = await startTestConsumer(t, config, handler, { url, logger });
  t.is(consumer.state, 'consuming');
  t.is(consumer.status().broker, 'amqp://guest@127.0.0.1:5672/%2F');

  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const m = legacyDelete('fallback');
  channel.publish(config.nova, config.routingKey, osloBody(m));
  await handler.waitFor(() => handler.applied.length === 1, 'a message through the second broker');

  const text = lines.join('');
  t.regex(text, /cannot reach the message broker/);
  t.regex(text, /amqp:\/\/nova@127\.0\.0\.1:1\//);
  t.false(text.includes('hunter2'));
});
