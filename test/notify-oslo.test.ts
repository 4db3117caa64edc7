/**
 * The listener against Nova's real publisher (Debian's python3-oslo.messaging,
 * rabbit driver, messagingv2): for each oslo setting both can start in
 * either order (no PRECONDITION_FAILED either way), and the README's own
 * nova.conf and neutron.conf blocks leave no queue of our topic unread.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { formatLine } from '../src/check/checks.js';
import { checkNotificationQueues } from '../src/check/rabbit-queues.js';
import { defaultConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log/logger.js';
import { NotificationConsumer } from '../src/notify/consumer.js';
import { retryQueueNames } from '../src/notify/topology.js';
import { loadFixtures, RecordingHandler, type NotifyConfig } from './support/notify.js';
import { createVhost, fromFixture, joinConfFor, listQueues, OSLO_SETTINGS, osloPublish, writeOsloConf, type OsloMessage, type OsloSetting, type Vhost } from './support/oslo.js';
import { makeTempDir, removeDir } from './support/tmp.js';

let vhost: Vhost;
let dir: string;

test.before(async () => {
  vhost = await createVhost();
  dir = await makeTempDir('notify-oslo');
});

test.after.always(async () => {
  await vhost?.delete().catch(() => undefined);
  if (dir) await removeDir(dir);
});

function listenerConfig(setting: OsloSetting, overrides: Partial<NotifyConfig> = {}): NotifyConfig {
  return {
    ...defaultConfig().notifications,
    transportUrl: vhost.transportUrl,
    ...joinConfFor(setting),
    healthFile: '',
    metricsPort: 0,
    retryInitialMs: 50,
    retryMaxMs: 200,
    ...overrides,
  };
}

async function startListener(t: import('ava').ExecutionContext, config: NotifyConfig, handler: RecordingHandler): Promise<NotificationConsumer> {
  const consumer = new NotificationConsumer({ config, handler, logger: silentLogger(), reconnect: { initialMs: 50, maxMs: 500 } });
  t.teardown(() => consumer.close());
  await consumer.start();
  return consumer;
}

function legacyDelete(instanceId: string): OsloMessage {
  return {
    notifier: 'legacy',
    publisher_id: 'compute.compute1',
    event_type: 'compute.instance.delete.end',
    priority: 'INFO',
    payload: { instance_id: instanceId, tenant_id: 'p1', hostname: 'vm', metadata: {}, state: 'deleted' },
  };
}

const appliedIds = (h: RecordingHandler) => h.applied.map((e) => ('instance' in e.event ? e.event.instance.instanceId : null));

for (const setting of OSLO_SETTINGS) {
  for (const order of ['Nova first', 'listener first'] as const) {
    test.serial(`${setting}: Nova's publisher and the listener start in either order (${order})`, async (t) => {
      t.timeout(180_000);
      const id = randomUUID();
      const exchange = `nova-${id}`;
      const topic = `novajoin-${id}`;
      const nova = writeOsloConf(`nova-${id}.conf`, {
        dir,
        vhost,
        setting,
        service: 'nova',
        base: ['[DEFAULT]', `control_exchange = ${exchange}`, '[oslo_messaging_notifications]', 'driver = messagingv2', `topics = ${topic}`, ''].join('\n'),
      });
      const config = listenerConfig(setting, { exchanges: [exchange], topics: [topic], retryQueuePrefix: `novajoin-${id}`, deadLetterQueue: `novajoin-${id}.dead` });
      const handler = new RecordingHandler();
      const [first, second] = [randomUUID(), randomUUID()];
      if (order === 'Nova first') {
        t.is(await osloPublish(nova, 'nova', [legacyDelete(first)]), 1);
        await startListener(t, config, handler);
      } else {
        await startListener(t, config, handler);
        t.is(await osloPublish(nova, 'nova', [legacyDelete(first)]), 1);
      }
      t.is(await osloPublish(nova, 'nova', [legacyDelete(second)]), 1, 'a publisher that starts after both still publishes');
      await handler.waitFor(() => handler.applied.length >= 2, 'both deletes', 60_000);
      t.deepEqual(appliedIds(handler).sort(), [first, second].sort());
    });
  }
}

test.serial("the README's nova.conf and neutron.conf, in real oslo.messaging publishers, leave no queue of our topic growing", async (t) => {
  t.timeout(300_000);
  const fixtures = loadFixtures();
  const nova = writeOsloConf('nova.conf', { dir, vhost, setting: 'default', service: 'nova' });
  const neutron = writeOsloConf('neutron.conf', { dir, vhost, setting: 'default', service: 'neutron' });
  const fip: OsloMessage = {
    notifier: 'legacy',
    publisher_id: 'network.controller1',
    event_type: 'floatingip.update.end',
    priority: 'INFO',
    payload: { floatingip: { id: randomUUID(), floating_ip_address: '192.0.2.77', port_id: null, fixed_ip_address: null, router_id: null } },
  };
  const createError: OsloMessage = { ...legacyDelete(randomUUID()), event_type: 'compute.instance.create.error', priority: 'ERROR' };
  // Nova and Neutron were up before novajoin: their first publishes declare the queues.
  t.is(await osloPublish(nova, 'nova', [...fixtures.map((f) => fromFixture(f)), createError]), fixtures.length + 1);
  t.is(await osloPublish(neutron, 'neutron', [fip]), 1);

  const config = listenerConfig('default');
  const check = (notifications: NotifyConfig) => checkNotificationQueues({ config: { ...defaultConfig(), notifications }, logger: silentLogger(), timeoutMs: 20_000 });
  const before = await check(config);
  t.deepEqual(before.map((l) => l.ok), [false, false], JSON.stringify(before));
  t.regex(formatLine(before[0]!), /^FAIL RabbitMQ queue novajoin_notifications\.info: \d+ messages and no consumer.* — start novajoin-notify/);
  t.regex(formatLine(before[1]!), /^FAIL RabbitMQ queue novajoin_notifications\.error: 1 messages and no consumer/);
  const mismatch = await check({ ...config, queueType: 'quorum' });
  t.true(mismatch.some((l) => /^FAIL RabbitMQ exchange nova: declared with other flags.*— set \[notifications\] exchange_durable and queue_type/.test(formatLine(l))), JSON.stringify(mismatch));
  t.true(mismatch.some((l) => /^FAIL RabbitMQ queue novajoin_notifications\.info: declared with other arguments/.test(formatLine(l))));

  const handler = new RecordingHandler();
  const consumer = await startListener(t, config, handler);
  const settled = () => consumer.metrics.snapshot().messages.filter((m) => m.outcome !== 'retried' && m.outcome !== 'requeued').reduce((n, m) => n + m.count, 0);
  t.is(await osloPublish(nova, 'nova', [legacyDelete(randomUUID())]), 1);
  // Every fixture (both formats), the floating IP, the delete; the ERROR one is settled as ignored.
  const expected = fixtures.length + 3;
  const until = Date.now() + 60_000;
  while (settled() < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  t.is(settled(), expected);
  t.is(consumer.metrics.deadLettered, 0);

  const queues = await listQueues(vhost);
  const ours = queues.filter((q) => q.name.startsWith('novajoin_notifications.'));
  t.log(queues.map((q) => `${q.name} messages=${q.messages} consumers=${q.consumers}`).join('\n'));
  t.deepEqual(ours.map((q) => q.name).sort(), ['novajoin_notifications.error', 'novajoin_notifications.info']);
  for (const q of ours) {
    t.true(q.consumers >= 1, `${q.name} has a consumer`);
    t.is(q.messages, 0, `${q.name} is empty`);
  }
  for (const name of [config.deadLetterQueue, ...retryQueueNames(config)]) t.is(queues.find((q) => q.name === name)?.messages, 0, name);
  const after = await check(config);
  t.deepEqual(after.map((l) => l.ok), [true], JSON.stringify(after));
  t.regex(formatLine(after[0]!), /^OK RabbitMQ notification queues: novajoin_notifications\.info \(0 messages, 1 consumers\), novajoin_notifications\.error \(0 messages, 1 consumers\)/);
  // The README's first topic is ceilometer's, not ours: oslo filled it too.
  t.true(queues.some((q) => q.name === 'notifications.info' && q.messages > 0));
});
