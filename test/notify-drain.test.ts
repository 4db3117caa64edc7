/**
 * SIGTERM-style close with work in flight: the work either finishes and is
 * acked, or (past drain_timeout) the handler is told to abort and the message
 * goes back on the queue. Never acked-but-not-done, never lost.
 */
import test from 'ava';
import { silentLogger } from '../src/log/logger.js';
import { until } from './support/until.js';
import { NotificationConsumer, type ConsumerState } from '../src/notify/consumer.js';
import {
  cleanupAfter,
  legacyDelete,
  openBroker,
  osloBody,
  readyCount,
  RecordingHandler,
  startTestConsumer,
  testConfig,
  waitForEvent,
} from './support/notify.js';

test('close() with a handler running lets it finish and acks it; nothing new is consumed while draining', async (t) => {
  const config = testConfig({ drainTimeoutMs: 20_000 });
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  let consumer!: NotificationConsumer;
  const late = legacyDelete('late');
  const handler = new RecordingHandler(async () => {
    // Still working when the drain starts; a message published now must wait for the next listener.
    if (consumer.state !== 'draining') await waitForEvent<[ConsumerState]>(consumer, 'state', (s) => s === 'draining');
    // Published once the broker has taken the consumer away, so it cannot be in flight to this listener.
    await until('the consumer to be cancelled', () => channel.checkQueue(config.queue).then((q) => q.consumerCount), (n) => n === 0);
    channel.publish(config.nova, config.routingKey, osloBody(late));
    await new Promise((r) => setTimeout(r, 200));
    return 'applied';
  });
  consumer = await startTestConsumer(t, config, handler);
  const states: ConsumerState[] = [];
  consumer.on('state', (s) => states.push(s));

  const slow = legacyDelete('slow');
  channel.publish(config.nova, config.routingKey, osloBody(slow));
  await handler.waitFor(() => handler.calls.length === 1, 'the slow handler to start');
  await consumer.close();

  t.deepEqual(states, ['draining', 'stopped']);
  t.is(handler.applied.length, 1);
  t.is(handler.applied[0]?.uniqueId, slow['_unique_id'] as string);
  t.is(handler.calls.length, 1);
  // The slow one was acked; the late one waits on the queue.
  t.is(await readyCount(config.queue), 1);
  const msg = await channel.get(config.queue, { noAck: true });
  t.truthy(msg);
  t.true(msg !== false && msg.content.equals(osloBody(late)));
});

test('past drain_timeout the handler is aborted and its message requeued, then handled by the next listener', async (t) => {
  const config = testConfig({ drainTimeoutMs: 150 });
  let sawAbort = false;
  const stuck = new RecordingHandler(async (_e, ctx) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 15_000);
      ctx?.signal.addEventListener('abort', () => {
        sawAbort = true;
        clearTimeout(timer);
        resolve();
      });
    });
    // A handler that ignores the abort and reports success must not get an ack either.
    return 'applied';
  });
  const first = await startTestConsumer(t, config, stuck);
  const requeued = waitForEvent(first, 'requeued');
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const m = legacyDelete('stuck');
  channel.publish(config.nova, config.routingKey, osloBody(m));
  await stuck.waitFor(() => stuck.calls.length === 1, 'the stuck handler to start');

  await first.close();
  await requeued;
  t.true(sawAbort);
  t.is(first.state, 'stopped');
  t.is(await readyCount(config.queue), 1);
  t.regex(await first.renderMetrics(), /outcome="requeued"\} 1/);

  const next = new RecordingHandler();
  const second = new NotificationConsumer({ config, handler: next, logger: silentLogger() });
  t.teardown(() => second.close());
  await second.start();
  await next.waitFor(() => next.applied.length === 1, 'the requeued message on the next listener');
  t.is(next.applied[0]?.uniqueId, m['_unique_id'] as string);
  t.true(next.calls[0]?.redelivered);
});

test('close() is memoised, works before start(), and start() after close() fails', async (t) => {
  const config = testConfig();
  cleanupAfter(t, config);
  const consumer = new NotificationConsumer({ config, handler: new RecordingHandler(), logger: silentLogger() });
  const a = consumer.close();
  t.is(consumer.close(), a);
  await a;
  t.is(consumer.state, 'stopped');
  await t.throwsAsync(consumer.start(), { message: /closed/ });

  const running = await startTestConsumer(t, testConfig(), new RecordingHandler());
  const c1 = running.close();
  const c2 = running.close();
  t.is(c1, c2);
  await Promise.all([c1, c2]);
  t.is(running.state, 'stopped');
});
