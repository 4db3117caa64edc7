/**
 * Forged notifications against the listener on the real RabbitMQ: whatever
 * text a publisher puts in a message, what the listener keeps per message is
 * bounded and its log lines stay short.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MessageSettled } from '../src/notify/consumer.js';
import { captureLog } from './support/log-capture.js';
import { loadFixtures, openBroker, osloBody, publishOptions, RecordingHandler, startTestConsumer, testConfig, testRoutingKey } from './support/notify.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const MiB = 1024 * 1024;
const update = loadFixtures().find((f) => f.file.startsWith('update--versioned'))!;

test('forged payload names, versions, event types and ids: memory bounded, every log line short, the listener still applies real events', async (t) => {
  const config = testConfig({ prefetch: 4 });
  const log = captureLog();
  const handler = new RecordingHandler();
  const consumer = await startTestConsumer(t, config, handler, { logger: log.logger });
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const forged = 40;
  let settled = 0;
  consumer.on('message', (_m: MessageSettled) => void (settled += 1));
  const before = heapAfterGc();
  for (let i = 0; i < forged; i++) {
    const message = structuredClone(update.message) as Record<string, any>;
    message['_unique_id'] = `${i}-${'u'.repeat(64 * 1024)}`;
    message['message_id'] = `${i}-${'m'.repeat(64 * 1024)}`;
    if (i % 2 === 0) {
      // A payload no build knows: once at warn per (event, payload, version) used to be kept forever.
      message['payload']['nova_object.name'] = `Forged${i}${'N'.repeat(MiB)}`;
    } else {
      message['event_type'] = `instance.${i}.${'e'.repeat(MiB)}`;
    }
    channel.publish(config.nova, testRoutingKey(config, update.routingKey), osloBody(message), publishOptions(update.properties));
  }
  const real = structuredClone(update.message) as Record<string, any>;
  real['_unique_id'] = randomUUID().replace(/-/g, '');
  channel.publish(config.nova, testRoutingKey(config, update.routingKey), osloBody(real), publishOptions(update.properties));
  await handler.waitFor(() => handler.applied.length === 1, 'the real update after the forged ones', 90_000);
  for (let i = 0; i < 600 && settled < forged + 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(settled, forged + 1, 'every message settled');

  const grown = heapAfterGc() - before;
  t.log(`heap growth after ${forged} forged messages: ${(grown / MiB).toFixed(1)} MiB`);
  t.true(grown < 12 * MiB, `heap grew by ${(grown / MiB).toFixed(1)} MiB after ${forged} forged messages of 1 MiB`);
  const lines = await log.lines();
  const longest = Math.max(...lines.map((line) => line.length));
  t.true(longest < 4096, `longest log line: ${longest} characters`);
  t.true(lines.some((line) => line.includes('unsupported payload version')), 'the skip is still logged');
});
