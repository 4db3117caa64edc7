/**
 * Rebuild with a config drive, end to end (issue 11, item 11). Nova writes
 * the drive during spawn, while the host still has its keys, so the drive
 * holds the name and no OTP; rebuild.end reaches novajoin-notify afterwards.
 * The real guest script, in a fake guest whose metadata service asks the
 * running novajoin-server on every read (as Nova's does), must still end up
 * with an OTP FreeIPA accepts; and a guest of a host that is properly
 * enrolled must not get one however often it asks.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Channel, ChannelModel } from 'amqplib';
import type { RunningServer } from '../src/server/start.js';
import { GUEST_SCRIPT } from '../scripts/gen-cloud-config.js';
import { REPO } from '../scripts/generated.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { openBroker, osloBody } from './support/notify.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

let env: NovajoinEnv;
let server: RunningServer;
let broker: { model: ChannelModel; channel: Channel };
const id = randomUUID();
const exchange = `rebuild-nova-${id}`;
const queue = `rebuild-novajoin-${id}`;
let project: string;

test.before(async (t) => {
  // Longer than ava's 2-minute inactivity timeout on a loaded machine.
  t.timeout(300_000);
  env = await startNovajoinEnv();
  project = env.openstack.projects.demo.id;
  const config = await env.config(
    ['[notifications]', `dead_letter_queue = ${queue}.dead`, `retry_queue_prefix = ${queue}`, `exchanges = ${exchange}`, `topics = ${queue}`, 'health_file = '].join('\n'),
    // join_cache_ttl = 0: the instance here is rebuilt seconds after its first join (a real one is not rebuilt
    // within join_cache_ttl of being created); answers from memory are join-calls.test.ts's.
    { set: { 'DEFAULT.join_cache_ttl': '0' } },
  );
  server = await env.startServer(config);
  await env.startNotify(config);
  broker = await openBroker();
});

test.after.always(async () => {
  if (broker) {
    for (const q of [`${queue}.info`, `${queue}.error`, `${queue}.dead`]) await broker.channel.deleteQueue(q).catch(() => undefined);
    await broker.channel.deleteExchange(exchange).catch(() => undefined);
    await broker.model.close().catch(() => undefined);
  }
  await env?.stop();
});

/** What Nova POSTs for this instance, on a config drive build or a guest read alike. */
async function vendordata(instanceId: string, hostname: string): Promise<Record<string, string>> {
  const res = await fetch(`${server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': env.novaToken() },
    body: JSON.stringify({ 'project-id': project, 'instance-id': instanceId, 'image-id': '', hostname, metadata: { ipa_enroll: 'True' } }),
  });
  if (res.status !== 200) throw new Error(`vendordata: ${res.status}`);
  return (await res.json()) as Record<string, string>;
}

function publishRebuildEnd(instanceId: string, hostname: string): void {
  const message = {
    message_id: randomUUID(), publisher_id: 'compute.compute1', event_type: 'compute.instance.rebuild.end', priority: 'INFO',
    payload: { instance_id: instanceId, tenant_id: project, hostname, metadata: { ipa_enroll: 'True' }, state: 'active' },
    timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''), _unique_id: randomUUID().replace(/-/g, ''),
  };
  broker.channel.publish(exchange, `${queue}.info`, osloBody(message), { contentType: 'application/json', deliveryMode: 2 });
}

/** Nova's metadata service for one instance: every read of vendor_data2.json is one POST to novajoin. */
async function metadataService(instanceId: string, hostname: string, onRead: (n: number) => void = () => undefined) {
  let reads = 0;
  const http: Server = createServer((req, res) => {
    if (!(req.url ?? '').endsWith('/vendor_data2.json')) {
      res.writeHead(404).end('{}');
      return;
    }
    onRead(++reads);
    vendordata(instanceId, hostname).then(
      (join) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ static: {}, join })),
      () => res.writeHead(500).end('{}'),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/openstack`,
    reads: () => reads,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/** A fake guest holding the config drive Nova wrote; runs the real guest script with a stub ipa-client-install. */
async function runGuest(t: import('ava').ExecutionContext, drive: unknown, metadataUrl: string, tries: number) {
  const dir = await makeTempDir('novajoin-rebuild-guest');
  t.teardown(() => removeDir(dir));
  for (const d of ['bin', 'tmp', 'config-drive/openstack/latest']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'config-drive/openstack/latest/vendor_data2.json'), JSON.stringify(drive));
  await writeFile(join(dir, 'bin/ipa-client-install'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\n`);
  await chmod(join(dir, 'bin/ipa-client-install'), 0o755);
  const result = await runCommand('sh', [join(REPO, GUEST_SCRIPT)], {
    allowFailure: true,
    timeoutMs: 240_000,
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      TMPDIR: join(dir, 'tmp'),
      NOVAJOIN_LOG: join(dir, 'log'),
      NOVAJOIN_IPA_DEFAULT_CONF: join(dir, 'etc-ipa-default.conf'),
      NOVAJOIN_CONFIG_DRIVE_DIR: join(dir, 'config-drive'),
      NOVAJOIN_METADATA_URL: metadataUrl,
      NOVAJOIN_TRIES: '2',
      NOVAJOIN_SLEEP_MAX: '1',
      NOVAJOIN_OTP_TRIES: String(tries),
      NOVAJOIN_INSTALL_CLIENT: 'no',
    },
  });
  const args = (await readdir(dir)).includes('args') ? (await readFile(join(dir, 'args'), 'utf8')).trim().split('\n') : null;
  return { code: result.code, log: await readFile(join(dir, 'log'), 'utf8').catch(() => ''), args };
}

test.serial('a rebuilt guest whose config drive has no OTP enrolls once rebuild.end is handled, with an OTP FreeIPA accepts', async (t) => {
  const instance = randomUUID();
  const name = `rebuilt-${randomUUID().slice(0, 6)}`;
  const fqdn = `${name}.example.test`;
  const first = await vendordata(instance, name);
  await env.ipa.emulator.simulateEnrollment(fqdn, first['ipaotp']!);

  // Rebuild: spawn writes the drive (five POSTs) while the host still has its keys.
  const drives = await Promise.all(Array.from({ length: 5 }, () => vendordata(instance, name)));
  for (const drive of drives) t.deepEqual(drive, { hostname: fqdn, krb_realm: 'EXAMPLE.TEST' });
  // rebuild.end reaches the listener only once the guest is already waiting.
  const md = await metadataService(instance, name, (n) => {
    if (n === 1) publishRebuildEnd(instance, name);
  });
  t.teardown(() => md.close());

  const run = await runGuest(t, { static: {}, join: drives[0] }, md.url, 30);
  t.is(run.code, 0, run.log);
  t.regex(run.log, /gave no OTP yet/);
  const password = run.args?.[run.args.indexOf('--password') + 1];
  t.truthy(password);
  t.not(password, first['ipaotp']);
  t.false(run.log.includes(password!), 'the OTP is not in the log');
  await t.notThrowsAsync(env.ipa.emulator.simulateEnrollment(fqdn, password!), 'FreeIPA accepts the OTP the guest was given');
});

test.serial('a guest of a properly enrolled host gets no second OTP however often it asks, and FreeIPA is not written', async (t) => {
  const instance = randomUUID();
  const name = `enrolled-${randomUUID().slice(0, 6)}`;
  const fqdn = `${name}.example.test`;
  await env.ipa.emulator.simulateEnrollment(fqdn, (await vendordata(instance, name))['ipaotp']!);
  const before = await env.ipa.emulator.getHost(fqdn);
  const md = await metadataService(instance, name);
  t.teardown(() => md.close());
  env.ipa.emulator.resetCounters();

  // A tenant that removed /etc/ipa and runs the script again.
  const run = await runGuest(t, { static: {}, join: { hostname: fqdn, krb_realm: 'EXAMPLE.TEST' } }, md.url, 3);
  t.is(run.code, 1, run.log);
  t.is(run.args, null, 'ipa-client-install never ran');
  t.is(md.reads(), 3);
  t.regex(run.log, /gave no OTP after 3 rounds/);
  t.is(env.ipa.emulator.counters().writes, 0);
  t.deepEqual(await env.ipa.emulator.getHost(fqdn), before);
});
