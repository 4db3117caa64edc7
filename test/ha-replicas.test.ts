/**
 * Replicas on both sides: two novajoin-server and two novajoin-notify
 * processes (the real entry points, src/bin) against two FreeIPA servers on
 * one directory, found by DNS alone (a real dnsmasq). A boot storm spread
 * over both servers gives one OTP per instance, whichever server and replica
 * answered; a delete storm shared by both listeners applies every delete once.
 * The operator's views of the FreeIPA servers (/readyz, /metrics,
 * `novajoin check`) are checked on the same deployment.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBroker, osloBody } from './support/notify.js';
import { runNovajoin, stackEnv, writeStackConfig } from './support/novajoin-cli.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { replicaNames, startReplicas, type ReplicaSet } from './support/replicas.js';
import { freePort } from './support/tmp.js';
import { until as waitUntil } from './support/until.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PROJECT = 'c97027dd880d4c129ae7a4ba7edade05';
const INSTANCES = 120;
const id = randomUUID();
const queue = `ha-novajoin-${id}`;
const exchange = `ha-nova-${id}`;

let env: NovajoinEnv;
let set: ReplicaSet;
const processes: Array<{ name: string; child: ChildProcess; out: () => string }> = [];

test.before(async () => {
  env = await startNovajoinEnv({ replicas: replicaNames(2) });
  set = await startReplicas(env.ipa, 2);
  await set.srv([{ priority: 0 }, { priority: 0 }]);
});

test.after.always(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  const broker = await openBroker().catch(() => null);
  if (broker) {
    for (const q of [`${queue}.info`, `${queue}.error`, `${queue}.dead`]) await broker.channel.deleteQueue(q).catch(() => undefined);
    await broker.channel.deleteExchange(exchange).catch(() => undefined);
    await broker.model.close().catch(() => undefined);
  }
  await env?.stop();
  await set?.stop();
});

async function configFile(name: string, set_: Record<string, string>): Promise<string> {
  return writeStackConfig({
    dir: env.dir,
    stack: env.ipa,
    openstack: env.openstack,
    file: `${name}.conf`,
    set: {
      'DEFAULT.join_listen': '127.0.0.1',
      'DEFAULT.policy_file': '',
      'DEFAULT.join_timeout': '30',
      'freeipa.url': set.urlTemplate,
      'freeipa.dns_servers': set.dns.server,
      'freeipa.timeout': '20',
      'keystone_authtoken.auth_url': env.openstack.keystoneUrl,
      'keystone_authtoken.username': 'novajoin',
      'keystone_authtoken.password': 'novajoin-secret',
      'keystone_authtoken.project_name': 'service',
      'notifications.retry_queue_prefix': queue,
      'notifications.dead_letter_queue': `${queue}.dead`,
      'notifications.exchanges': exchange,
      // A topic of this test's own: the listeners read <topic>.info, which is shared by everyone on the topic.
      'notifications.topics': queue,
      'notifications.retry_initial': '0.2',
      'notifications.retry_max': '1',
      'notifications.health_file': '',
      'notifications.metrics_port': '0',
      ...set_,
    },
  });
}

/** A service as systemd runs it: its bin, its config file; no name pinning (DNS does it). */
function spawnService(name: string, bin: string, file: string): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/bin', bin), '--config-file', file], {
    cwd: ROOT,
    env: { ...process.env, ...stackEnv(env.ipa), NOVAJOIN_TEST_HOSTS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const entry = { name, child, out: () => out };
  processes.push(entry);
  return entry;
}

/** Servers still starting answer with errors: those count as "not yet". */
const until = <T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 90_000) =>
  waitUntil(what, probe, ok, { timeoutMs, intervalMs: 250, tolerateErrors: true });

test.serial('two servers and two listeners on two FreeIPA replicas: one OTP per instance, every delete applied once', async (t) => {
  t.timeout(300_000);
  const ports = [await freePort(), await freePort()];
  // Each novajoin-server prefers another replica, so the storm reaches both.
  const serverFiles = [
    await configFile('server-a', { 'DEFAULT.join_listen_port': String(ports[0]), 'freeipa.server': 'ipa1.example.test, ipa2.example.test' }),
    await configFile('server-b', { 'DEFAULT.join_listen_port': String(ports[1]), 'freeipa.server': 'ipa2.example.test, ipa1.example.test' }),
  ];
  const notifyPort = await freePort();
  const notifyFiles = [
    await configFile('notify-a', { 'freeipa.server': '', 'freeipa.discover': 'true', 'notifications.metrics_port': String(notifyPort) }),
    await configFile('notify-b', { 'freeipa.server': '', 'freeipa.discover': 'true' }),
  ];
  const servers = serverFiles.map((file, i) => spawnService(`server-${i}`, 'novajoin-server.ts', file));
  const listeners = [0, 1].map((i) => spawnService(`notify-${i}`, 'novajoin-notify.ts', notifyFiles[i]!));
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  for (const url of urls) await until(`${url}/readyz`, () => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200);
  const broker = await openBroker();
  t.teardown(() => broker.model.close().catch(() => undefined));
  await until('both listeners consuming', () => broker.channel.checkQueue(`${queue}.info`).then((q) => q.consumerCount), (n) => n === 2);

  // /readyz and /metrics show each FreeIPA server.
  const ready = (await (await fetch(`${urls[0]}/readyz`)).json()) as { checks: Array<{ name: string; servers?: Array<{ name: string; state: string }> }> };
  t.deepEqual(ready.checks.find((c) => c.name === 'freeipa')?.servers?.map((s) => [s.name, s.state]), [['ipa1.example.test', 'up'], ['ipa2.example.test', 'up']]);
  const metrics = await (await fetch(`${urls[1]}/metrics`)).text();
  t.regex(metrics, /novajoin_freeipa_server_up\{server="ipa2\.example\.test"\} 1/);

  // The boot storm: Nova asks for each instance several times, here through both servers at once.
  const instances = Array.from({ length: INSTANCES }, (_, i) => ({ id: randomUUID(), hostname: `rep-${i}` }));
  const token = env.novaToken();
  const ask = async (url: string, instance: { id: string; hostname: string }) => {
    const res = await fetch(`${url}/v1/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify({ 'project-id': PROJECT, 'instance-id': instance.id, 'image-id': '', hostname: instance.hostname, metadata: { ipa_enroll: 'true' } }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const answers: Array<Array<{ status: number; body: Record<string, string> }>> = [];
  for (let i = 0; i < INSTANCES; i += 20) {
    const batch = instances.slice(i, i + 20);
    answers.push(...(await Promise.all(batch.map((instance) => Promise.all([ask(urls[0]!, instance), ask(urls[1]!, instance), ask(urls[i % 40 === 0 ? 1 : 0]!, instance)])))));
  }
  const bad = answers.flat().filter((a) => a.status !== 200 || !a.body.ipaotp);
  t.is(bad.length, 0, JSON.stringify(bad.slice(0, 3)));
  const distinct = answers.map((per) => new Set(per.map((a) => a.body.ipaotp)).size);
  t.true(distinct.every((n) => n === 1), 'every answer for one instance carries the same OTP');
  t.is(new Set(answers.map((per) => per[0]!.body.ipaotp)).size, INSTANCES, 'one OTP per instance, no two alike');
  t.true(set.replicas.every((r) => r.emulator.counters().roundTrips > 0), 'both FreeIPA replicas served the storm');
  const survivor = set.replicas[0]!.emulator;
  for (const i of [0, INSTANCES - 1]) t.truthy(await survivor.simulateEnrollment(`rep-${i}.example.test`, answers[i]![0]!.body.ipaotp!));

  // The delete storm, shared by both listeners through the one queue.
  for (const r of set.replicas) r.emulator.resetCounters();
  for (const instance of instances) {
    const message = {
      message_id: randomUUID(),
      publisher_id: 'compute.compute1',
      event_type: 'compute.instance.delete.end',
      priority: 'INFO',
      payload: { instance_id: instance.id, tenant_id: PROJECT, hostname: instance.hostname, metadata: { ipa_enroll: 'True' }, state: 'deleted' },
      timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''),
      _unique_id: randomUUID().replace(/-/g, ''),
    };
    broker.channel.publish(exchange, `${queue}.info`, osloBody(message), { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 });
  }
  await until(
    'every host to be deleted',
    async () => {
      let left = 0;
      for (const instance of instances) if (await survivor.getHost(`${instance.hostname}.example.test`)) left += 1;
      return left;
    },
    (left) => left === 0,
    120_000,
  );
  await until('the queue to drain', () => broker.channel.checkQueue(`${queue}.info`).then((q) => q.messageCount), (n) => n === 0);
  t.is(set.commandCount('host_del'), INSTANCES, 'every delete applied once');
  t.is((await broker.channel.checkQueue(`${queue}.dead`)).messageCount, 0, 'nothing dead-lettered');
  // Which listener applied each delete, from their log lines (written after FreeIPA's answer, read through
  // a pipe). The count of applied deletes is FreeIPA's, above: a delete whose answer was lost on a loaded
  // machine is read again on its retry and logged as nothing to do, which is also right.
  const removedCounts = () => listeners.map((l) => (l.out().match(/"host removed"/g) ?? []).length);
  const removedBy = await until('both listeners to log removals', async () => removedCounts(), (n) => n.every((c) => c > 0), 30_000).catch(() => removedCounts());
  const warnings = listeners.flatMap((l) => l.out().split('\n').filter((line) => /"level":"(warn|error)"/.test(line) && !/\.conf:\d+: warning:/.test(line)));
  if (warnings.length > 0) t.log(`listener warnings: ${warnings.slice(0, 5).join('\n')}`);
  t.true(removedBy.every((n) => n > 0), `both listeners took part (${removedBy.join(' + ')})`);
  // The listener's /metrics shows the FreeIPA servers it found in DNS, as the server's does.
  const notifyMetrics = await (await fetch(`http://127.0.0.1:${notifyPort}/metrics`)).text();
  // Both found in DNS. A replica that was slow under the storm may still show as down (0) until a call
  // reaches it, but the one that answered this listener's last delete is up.
  const up = ['ipa1', 'ipa2'].map((name) => new RegExp(`^novajoin_freeipa_server_up\\{server="${name}\\.example\\.test"\\} ([01])$`, 'm').exec(notifyMetrics)?.[1]);
  t.true(up.every((v) => v !== undefined), `both servers listed: ${up.join(', ')}`);
  t.true(up.includes('1'), `a server is up: ${up.join(', ')}`);

  // `novajoin check` names each FreeIPA server: one taken down shows as down while the other still answers.
  await set.replicas[1]!.emulator.setMode('refuse');
  try {
    const run = await runNovajoin(['check', '--config-file', serverFiles[0]!], { env: { ...stackEnv(env.ipa), NOVAJOIN_TEST_HOSTS: '' } });
    t.regex(run.stdout, /^OK FreeIPA server ipa1\.example\.test .* is up: IPA server version/m);
    t.regex(run.stdout, /^FAIL FreeIPA server ipa2\.example\.test .* is down: .*(ECONNREFUSED|cannot reach)/m);
    t.regex(run.stdout, /^OK FreeIPA login through the first server that answers/m);
  } finally {
    await set.replicas[1]!.emulator.setMode('up');
  }
  for (const p of [...servers, ...listeners]) p.child.kill('SIGTERM');
  t.log(`storm: ${INSTANCES} instances x 3 POSTs over 2 servers; round trips before the deletes went to both replicas; deletes per listener ${removedBy.join(' + ')}`);
});
