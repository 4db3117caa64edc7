/**
 * A FreeIPA replica dies in the middle of a boot storm: novajoin-server,
 * finding its FreeIPA servers through DNS SRV records (a real dnsmasq), keeps
 * answering every join from the other replica. Calls in flight on the dead
 * one fail over (reads) or are re-planned from a fresh read (writes whose
 * answer was lost), so every instance gets its OTP, and that OTP works.
 */
import test from 'ava';
import { loadConfigFile } from '../src/config/load.js';
import { clientFromConfig } from '../src/freeipa/client.js';
import { silentLogger } from '../src/log/logger.js';
import { writeStackConfig } from './support/novajoin-cli.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { replicaNames, startReplicas, type ReplicaSet } from './support/replicas.js';
import { freePort } from './support/tmp.js';

const INSTANCES = 500;
const CONCURRENCY = 50;
const PROJECT = 'c97027dd880d4c129ae7a4ba7edade05';

let env: NovajoinEnv;
let set: ReplicaSet;

test.before(async () => {
  env = await startNovajoinEnv({ replicas: replicaNames(2) });
  set = await startReplicas(env.ipa, 2);
});

test.after.always(async () => {
  await env?.stop();
  await set?.stop();
});

test('a replica killed in the middle of a 500-instance storm: every join succeeds, from the other replica', async (t) => {
  t.timeout(240_000);
  // ipa1 is preferred (priority 0), ipa2 is the fallback (priority 10).
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const port = await freePort();
  const file = await writeStackConfig({
    dir: env.dir,
    stack: env.ipa,
    openstack: env.openstack,
    file: 'storm.conf',
    set: {
      'DEFAULT.join_listen': '127.0.0.1',
      'DEFAULT.join_listen_port': String(port),
      'DEFAULT.policy_file': '',
      // Generous for a loaded 2-core machine; the test is about correctness, not latency.
      'DEFAULT.join_timeout': '30',
      'freeipa.server': '',
      'freeipa.url': set.urlTemplate,
      'freeipa.discover': 'true',
      'freeipa.dns_servers': set.dns.server,
      'freeipa.server_backoff': '5',
      'freeipa.timeout': '20',
      'keystone_authtoken.auth_url': env.openstack.keystoneUrl,
      'keystone_authtoken.username': 'novajoin',
      'keystone_authtoken.password': 'novajoin-secret',
      'keystone_authtoken.project_name': 'service',
    },
  });
  const { config, warnings } = loadConfigFile(file);
  // join_timeout 30 s is on purpose (a loaded machine must not turn the failover into timeouts); nothing else may warn.
  t.deepEqual(warnings.filter((w) => !/join_timeout: 30 s is longer than Nova waits/.test(w)), []);
  const logger = silentLogger();
  // No name pinning: the client finds ipa1/ipa2 and their addresses in DNS only.
  const freeipa = clientFromConfig(config, logger);
  const server = await env.startServer(config, { freeipa }, logger);

  let killedAt = 0;
  let detectedAt = 0;
  let firstOkAfterKill = 0;
  freeipa.on('server', (event) => {
    if (event.state === 'down' && killedAt && !detectedAt) detectedAt = performance.now();
  });
  freeipa.on('rpc', (event) => {
    const startedAt = performance.now() - event.durationMs;
    if (killedAt && !firstOkAfterKill && event.outcome === 'ok' && startedAt >= killedAt) firstOkAfterKill = performance.now();
  });

  const token = env.novaToken();
  const results: Array<{ status: number; body: Record<string, string> }> = new Array(INSTANCES);
  let next = 0;
  let done = 0;
  const kill = async () => {
    killedAt = performance.now();
    // The listener closes and every connection is destroyed, requests in flight included.
    await set.replicas[0]!.emulator.close();
  };
  let killing: Promise<void> | null = null;
  const worker = async () => {
    while (next < INSTANCES) {
      const i = next++;
      const res = await fetch(`${server.url}/v1/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
        body: JSON.stringify({ 'project-id': PROJECT, 'instance-id': `storm-${i}`, 'image-id': '', hostname: `storm-${i}`, metadata: { ipa_enroll: 'true' } }),
      });
      results[i] = { status: res.status, body: (await res.json()) as Record<string, string> };
      done += 1;
      if (done === Math.floor(INSTANCES / 3)) killing = kill();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killing;

  const failed = results.map((r, i) => ({ i, ...r })).filter((r) => r.status !== 200 || !r.body.ipaotp);
  t.deepEqual(failed.slice(0, 5), [], `${failed.length} joins failed`);
  const served = set.replicas.map((r) => r.emulator.counters().roundTrips);
  t.true(served[1]! > 0, 'ipa2 served the joins after ipa1 died');
  t.is(freeipa.servers().find((s) => s.name === 'ipa1.example.test')?.state, 'down');

  // Each instance's host is there with the OTP it was given (one per instance, usable by the guest).
  const survivor = set.replicas[1]!.emulator;
  for (const i of [0, 1, Math.floor(INSTANCES / 3), Math.floor(INSTANCES / 3) + 1, INSTANCES - 1]) {
    const enrolled = await survivor.simulateEnrollment(`storm-${i}.example.test`, results[i]!.body.ipaotp!);
    t.truthy(enrolled);
  }
  let hosts = 0;
  for (let i = 0; i < INSTANCES; i++) if (await survivor.getHost(`storm-${i}.example.test`)) hosts += 1;
  t.is(hosts, INSTANCES);

  const stats = freeipa.stats;
  t.log(`ipa1 killed after ${Math.floor(INSTANCES / 3)} of ${INSTANCES} joins (${CONCURRENCY} in flight)`);
  t.log(`failure detected ${(detectedAt - killedAt).toFixed(0)} ms after the kill; first FreeIPA call started after the kill answered ${(firstOkAfterKill - killedAt).toFixed(0)} ms after it`);
  t.log(`round trips served: ipa1 ${served[0]}, ipa2 ${served[1]}; retries ${stats.retries}; writes re-planned after a lost answer ${stats.errors['FreeIpaOutcomeUnknownError'] ?? 0}`);
});
