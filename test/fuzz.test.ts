/**
 * Fuzzing the two doors a tenant or a publisher can push at: the join body
 * (through novajoin-server's HTTP endpoint on the test FreeIPA) and
 * notification payloads (through RabbitMQ into the listener), from random
 * JSON and from mutations of real bodies and of the Nova 26 fixtures.
 * Bounded in count; seeded (FUZZ_SEED=<n> replays a run; the seed is in
 * every failure message).
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { FreeIpaUnavailableError } from '../src/freeipa/errors.js';
import type { MessageSettled } from '../src/notify/consumer.js';
import { captureLog } from './support/log-capture.js';
import { damage, mutate, randomJson, seeded, seedFromEnv } from './support/fuzz.js';
import { loadFixtures, openBroker, osloBody, publishOptions, readyCount, RecordingHandler, startTestConsumer, testConfig, testRoutingKey } from './support/notify.js';
import { startNovajoinEnv } from './support/novajoin-env.js';

const SEED = seedFromEnv(20261202);
const CANARY = `gAAAAABcanary${randomUUID().replace(/-/g, '')}`;

test('join bodies: every answer is a 2xx or a 4xx with a message, a 4xx writes nothing, no OTP or token in the log', async (t) => {
  const r = seeded(SEED);
  const env = await startNovajoinEnv();
  t.teardown(() => env.stop());
  const log = captureLog();
  // A generous join_timeout: the fuzz judges how input is handled, not how a loaded machine keeps time.
  const server = await env.startServer(await env.config('[DEFAULT]\njoin_timeout = 30', { expectWarnings: /join_timeout: 30 s is longer than Nova waits/ }), {}, log.logger);
  const token = env.novaToken();
  const image = env.openstack.addImage({ name: 'fuzz', properties: { ipa_enroll: 'True' } });
  const valid = () => ({
    'project-id': env.openstack.projects.demo.id,
    'instance-id': randomUUID(),
    'image-id': r.pick([image, '', randomUUID()]),
    'user-data': Buffer.from(`#cloud-config\npassword: ${CANARY}\n`).toString('base64'),
    hostname: `fz-${r.int(1e9)}`,
    metadata: { ipa_enroll: 'True', managed_service_a: 'HTTP/www.example.test', compact_service_HTTP: '["ctlplane"]' },
    'boot-roles': 'member,reader',
  });
  const otps: string[] = [];
  const statuses = new Map<number, number>();
  const cases = 150;
  for (let i = 0; i < cases; i++) {
    const kind = r.int(4);
    const text = kind === 0 ? JSON.stringify(randomJson(r)) : kind === 3 ? null : JSON.stringify(mutate(r, valid()));
    const body = text ?? damage(r, JSON.stringify(valid()));
    const writes = env.ipa.emulator.counters().writes;
    const res = await fetch(`${server.url}/v1/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token }, body });
    const answer = (await res.json().catch(() => undefined)) as Record<string, any> | undefined;
    const what = `seed ${SEED}, case ${i}: ${String(text ?? body.toString('latin1')).slice(0, 300)}`;
    t.true((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500), `HTTP ${res.status} ${JSON.stringify(answer)} for ${what}`);
    t.truthy(answer && typeof answer === 'object', what);
    if (res.status >= 400) {
      t.true(typeof answer?.['error']?.message === 'string' && answer['error'].message.length > 0, what);
      t.is(env.ipa.emulator.counters().writes, writes, `a ${res.status} wrote to FreeIPA: ${what}`);
    }
    if (typeof answer?.['ipaotp'] === 'string') otps.push(answer['ipaotp']);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  t.log(`seed ${SEED}: answers by status`, Object.fromEntries(statuses));
  t.true(otps.length > 0, `seed ${SEED}: some mutations still enroll, so the log is searched for real OTPs`);
  const logged = await log.text();
  for (const secret of [...otps, token, CANARY]) t.false(logged.includes(secret), `seed ${SEED}: a secret reached the log`);
});

test('notification payloads: each message settled once, the listener lives on, no valid event acked unapplied, no token in the log', async (t) => {
  const r = seeded(SEED + 1);
  const fixtures = loadFixtures();
  const config = testConfig({ prefetch: 8 });
  const log = captureLog();
  const failOnce = new Set<string>();
  const handler = new RecordingHandler(async (envelope, context) => {
    if (envelope.uniqueId !== null && failOnce.has(envelope.uniqueId) && context?.attempt === 0) throw new FreeIpaUnavailableError('FreeIPA is down for this try');
    return 'applied';
  });
  const consumer = await startTestConsumer(t, config, handler, { logger: log.logger });
  const outcomes = new Map<string, MessageOutcomeList>();
  let settled = 0;
  consumer.on('message', (m: MessageSettled) => {
    if (m.outcome !== 'retried') settled += 1;
    if (m.uniqueId !== null) outcomes.set(m.uniqueId, [...(outcomes.get(m.uniqueId) ?? []), m.outcome]);
  });
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));

  const harmless: string[] = [];
  const count = 120;
  for (let i = 0; i < count; i++) {
    const fixture = r.pick(fixtures);
    const message = structuredClone(fixture.message);
    const id = randomUUID().replace(/-/g, '');
    message['_unique_id'] = id;
    message['_context_auth_token'] = CANARY;
    if (r.chance(0.3)) failOnce.add(id);
    const kind = r.int(10);
    let body: Buffer;
    if (kind < 3) {
      // Only what the listener must not care about: the request context, the envelope's priority and time.
      const key = r.pick(['_context_user_name', '_context_roles', '_context_request_id', 'priority', 'timestamp', '_context_service_catalog']);
      message[key] = randomJson(r);
      harmless.push(id);
      body = osloBody(message);
    } else if (kind < 8) {
      body = osloBody(mutate(r, message));
    } else {
      body = damage(r, osloBody(message).toString('utf8'));
    }
    channel.publish(fixture.exchange === 'nova' ? config.nova : config.neutron, testRoutingKey(config, fixture.routingKey), body, publishOptions(fixture.properties));
  }
  const sentinel = structuredClone(fixtures.find((f) => f.file.startsWith('delete--versioned'))!.message);
  sentinel['_unique_id'] = randomUUID().replace(/-/g, '');
  channel.publish(config.nova, config.versionedKey, osloBody(sentinel), publishOptions({}));

  await handler.waitFor(() => handler.applied.some((e) => e.uniqueId === sentinel['_unique_id']), `seed ${SEED + 1}: the listener still applies events`, 60_000);
  for (let i = 0; i < 400 && settled < count + 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(settled, count + 1, `seed ${SEED + 1}: every message settled exactly once`);

  t.log(`seed ${SEED + 1}: outcomes`, [...outcomes.values()].flat().reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {}));
  const applied = new Set(handler.applied.map((e) => e.uniqueId));
  for (const id of harmless) t.true(applied.has(id), `seed ${SEED + 1}: event ${id} with only its context changed was not applied (${outcomes.get(id)?.join(', ')})`);
  for (const call of handler.calls) {
    const id = call.envelope.uniqueId;
    if (id === null) continue;
    t.true(applied.has(id), `seed ${SEED + 1}: event ${id} reached the handler but was settled ${outcomes.get(id)?.join(', ')}`);
  }
  for (const [id, list] of outcomes) if (list.includes('applied')) t.true(applied.has(id), `seed ${SEED + 1}: ${id} counted applied without the handler`);
  const deadLettered = [...outcomes.values()].flat().filter((o) => o === 'dead_lettered').length;
  t.true((await readyCount(config.deadLetterQueue)) >= deadLettered, 'what was dead-lettered is in the dead-letter queue');
  t.false((await log.text()).includes(CANARY), `seed ${SEED + 1}: the context's auth token reached the log`);
});

type MessageOutcomeList = Array<MessageSettled['outcome']>;
