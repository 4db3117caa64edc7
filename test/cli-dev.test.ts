/**
 * `novajoin dev` as an operator runs it: a real subprocess, its own config
 * file tried locally, then the product's other commands pointed at the
 * join.conf it writes: `novajoin check`, a join and the listener following a
 * real delete through the machine's RabbitMQ.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultConfig, loadConfigFile } from '../src/config/load.js';
import { retryQueueNames } from '../src/notify/topology.js';
import { clientFromConfig } from '../src/freeipa/client.js';
import { hostShow, serviceShow } from '../src/freeipa/commands.js';
import { NotFoundError } from '../src/freeipa/errors.js';
import { silentLogger } from '../src/log/logger.js';
import { loadFixtures, openBroker, osloBody, publishOptions } from './support/notify.js';
import { runBuilt } from './support/built-cli.js';
import { startDev, stopDev } from './support/dev-process.js';
import { freePort, makeTempDir, removeDir } from './support/tmp.js';


/** A CLI command through the built binary, as the dev process runs. */
const runNovajoin = (args: string[]) => runBuilt('novajoin', args);

async function joinOnce(url: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/v1/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

test('dev runs the server, the listener and an HTTPS FreeIPA that check and a delete notification reach', async (t) => {
  const dir = await makeTempDir('novajoin-dev-test');
  const id = randomUUID();
  const project = `p${id.slice(0, 8)}`;
  const userConf = join(dir, 'mine.conf');
  await writeFile(
    userConf,
    [
      '[DEFAULT]',
      'domain = dev.example',
      'transport_url = rabbit://guest:guest@127.0.0.1:5672/',
      '[notifications]',
      `retry_queue_prefix = dev-${id}`,
      `dead_letter_queue = dev-${id}.dead`,
      `exchanges = dev-nova-${id}`,
      `topics = dev-${id}`,
      'metrics_port = 0',
      `[${project}]`,
      'allowed_services = HTTP',
      '',
    ].join('\n'),
  );
  const dev = await startDev(['--port', String(await freePort()), '--dir', join(dir, 'state'), '--config-file', userConf]);
  const broker = await openBroker();
  t.teardown(async () => {
    await stopDev(dev);
    for (const q of [`dev-${id}.info`, `dev-${id}.error`, `dev-${id}.dead`, ...retryQueueNames({ ...defaultConfig().notifications, retryQueuePrefix: `dev-${id}` })]) await broker.channel.deleteQueue(q).catch(() => undefined);
    await broker.channel.deleteExchange(`dev-nova-${id}`).catch(() => undefined);
    await broker.model.close().catch(() => undefined);
    await removeDir(dir);
  });
  t.regex(dev.stdout(), new RegExp(`Notification listener: consuming dev-${id}\\.info, dev-${id}\\.error`));
  t.regex(dev.stdout(), /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v1\//);

  // The operator's own file is in force: its domain, and its per-project services.
  const instance = randomUUID();
  const body = { 'project-id': project, 'instance-id': instance, 'image-id': '', hostname: 'vm1', metadata: { ipa_enroll: 'true', managed_service_web: 'HTTP/www.dev.example' } };
  const first = await joinOnce(dev.url, body);
  t.is(first.status, 200, JSON.stringify(first.body));
  t.is(first.body['hostname'], 'vm1.dev.example');
  t.regex(first.body['ipaotp'] ?? '', /^[0-9a-f]{40}$/);
  t.is((await joinOnce(dev.url, body)).body['ipaotp'], first.body['ipaotp']);

  // The written join.conf takes the product's own FreeIPA client to the embedded server over verified TLS.
  const { config } = loadConfigFile(dev.confFile);
  const ipa = clientFromConfig(config, silentLogger());
  t.teardown(() => ipa.close());
  const host = await ipa.call(hostShow('vm1.dev.example'));
  t.deepEqual(host.result.fqdn, ['vm1.dev.example']);
  const service = await ipa.call(serviceShow('HTTP/www.dev.example@DEV.EXAMPLE'));
  t.truthy(service.result.krbprincipalname);

  const check = await runNovajoin(['check', '--config-file', dev.confFile]);
  t.regex(check.stdout, /^OK FreeIPA login to https:\/\/localhost:\d+\/ipa as admin/m, check.stdout);
  t.regex(check.stdout, /^OK RabbitMQ /m, check.stdout);

  // Nova's real delete notification, for this instance, through RabbitMQ: the listener removes the host.
  const fixture = loadFixtures().find((f) => f.file.startsWith('delete--versioned'))!;
  const message = structuredClone(fixture.message) as Record<string, any>;
  message['_unique_id'] = randomUUID().replace(/-/g, '');
  Object.assign(message['payload']['nova_object.data'], { uuid: instance, tenant_id: project, host_name: 'vm1' });
  broker.channel.publish(`dev-nova-${id}`, `dev-${id}.info`, osloBody(message), publishOptions(fixture.properties));
  const deadline = Date.now() + 30_000;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    gone = await ipa.call(hostShow('vm1.dev.example')).then(() => false, (e: unknown) => e instanceof NotFoundError);
    if (!gone) await new Promise((r) => setTimeout(r, 200));
  }
  t.true(gone, 'the delete notification removed the host');
});

test('dev says clearly when no RabbitMQ answers, and still serves joins', async (t) => {
  const dir = await makeTempDir('novajoin-dev-test');
  const userConf = join(dir, 'mine.conf');
  await writeFile(userConf, `[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:${await freePort()}/\n`);
  const dev = await startDev(['--port', String(await freePort()), '--dir', join(dir, 'state'), '--config-file', userConf]);
  t.teardown(async () => {
    await stopDev(dev);
    await removeDir(dir);
  });
  t.regex(dev.stdout(), /Notification listener: NOT STARTED: no RabbitMQ answered at amqp:\/\/guest@127\.0\.0\.1:\d+/);
  const res = await joinOnce(dev.url, { 'project-id': 'demo', 'instance-id': randomUUID(), 'image-id': '', hostname: 'vm2', metadata: { ipa_enroll: 'true' } });
  t.is(res.status, 200);
  t.is(res.body['hostname'], 'vm2.example.test');
});

test('dev refuses a non-loopback address without --allow-remote (exit 2, nothing started)', async (t) => {
  const res = await runNovajoin(['dev', '--listen', '0.0.0.0', '--port', String(await freePort())]);
  t.is(res.code, 2);
  t.regex(res.stderr, /refuses to listen on 0\.0\.0\.0/);
});
