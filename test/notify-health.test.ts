/**
 * The listener's health file and its /healthz + /metrics endpoint, through
 * startNotifyListener, the way novajoin-notify runs it.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger.js';
import { NotificationConsumer } from '../src/notify/consumer.js';
import { startHealthServer } from '../src/notify/health-server.js';
import { startNotifyListener } from '../src/notify/listener.js';
import { cleanupAfter, legacyDelete, openBroker, osloBody, RecordingHandler, testConfig, waitForEvent } from './support/notify.js';
import { makeTempDir, removeDir } from './support/tmp.js';

async function readHealth(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

test('healthz answers 503 until consuming; metrics are served before start too', async (t) => {
  const config = testConfig();
  const consumer = new NotificationConsumer({ config, handler: new RecordingHandler(), logger: silentLogger() });
  const http = await startHealthServer(consumer, '127.0.0.1', 0);
  t.teardown(() => http.close());
  const health = await fetch(`http://127.0.0.1:${http.port}/healthz`, { signal: AbortSignal.timeout(5000) });
  t.is(health.status, 503);
  t.is(((await health.json()) as { state: string }).state, 'idle');
  const metrics = await fetch(`http://127.0.0.1:${http.port}/metrics`, { signal: AbortSignal.timeout(5000) });
  t.is(metrics.status, 200);
  t.regex(metrics.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
  t.regex(await metrics.text(), /novajoin_notify_state\{state="idle"\} 1/);
  const missing = await fetch(`http://127.0.0.1:${http.port}/nope`, { signal: AbortSignal.timeout(5000) });
  t.is(missing.status, 404);
  const post = await fetch(`http://127.0.0.1:${http.port}/healthz`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  t.is(post.status, 405);
});

test('a running listener: healthz 200, counters in /metrics, health file rewritten, all closed together', async (t) => {
  const dir = await makeTempDir('novajoin-notify-health');
  t.teardown(() => removeDir(dir));
  const healthFile = join(dir, 'run', 'notify.health');
  const config = testConfig({ healthFile, metricsListen: '127.0.0.1' });
  cleanupAfter(t, config);
  const handler = new RecordingHandler();
  const listener = await startNotifyListener({ config, handler, logger: silentLogger(), metricsPort: 0 });
  t.teardown(() => listener.close());
  const port = listener.http?.port;
  t.truthy(port);

  const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
  t.is(health.status, 200);
  t.is(((await health.json()) as { state: string }).state, 'consuming');
  t.is((await readHealth(healthFile))['state'], 'consuming');

  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const written = waitForEvent(listener.consumer, 'message');
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('metered')));
  channel.publish(config.nova, config.routingKey, Buffer.from('not json'));
  await handler.waitFor(() => handler.applied.length === 1, 'the message');
  await written;
  if (listener.consumer.metrics.deadLettered < 1) await waitForEvent(listener.consumer, 'dead_lettered');

  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  t.regex(text, /^novajoin_notify_messages_total\{kind="instance\.delete",outcome="applied"\} 1$/m);
  t.regex(text, /^novajoin_notify_messages_total\{kind="unknown",outcome="dead_lettered"\} 1$/m);
  t.regex(text, /^novajoin_notify_dead_lettered_total 1$/m);
  t.regex(text, /^novajoin_notify_in_flight 0$/m);
  t.regex(text, /^novajoin_notify_lag_seconds_count 1$/m);
  t.regex(text, /^novajoin_notify_state\{state="consuming"\} 1$/m);

  await listener.close();
  await listener.closed;
  const final = await readHealth(healthFile);
  t.is(final['state'], 'stopped');
  t.is(final['deadLettered'], 1);
  t.truthy(final['lastMessageAt']);
  await t.throwsAsync(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) }));
});
