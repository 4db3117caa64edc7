/**
 * A RabbitMQ node lost in the middle of 1,000 deletes: a three-node cluster
 * of the test's own, quorum queues as oslo.messaging declares them
 * (`rabbit_quorum_queue = true`), novajoin-notify's composition root with
 * the real InstanceLifecycle against the test FreeIPA (memory store) holding
 * the 1,000 bound hosts plus bystanders that must stay. The deletes come
 * from a publisher with confirms on a node that is not killed, which
 * republishes whatever was not confirmed. One case kills the node the
 * listener is connected to, the other the queues' leader while the listener
 * sits elsewhere. Effects are counted in FreeIPA, not calls in the handler.
 */
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connect } from 'amqplib';
import { defaultConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import { formatBinding } from '../src/domain/binding.js';
import { FreeIpaDirectory, type RpcClient } from '../src/freeipa/directory.js';
import { InProcessRpc } from '../src/ipa-emulator/in-process-client.js';
import { passwordTableAuthenticators } from '../src/ipa-emulator/dev-auth.js';
import { startIpaEmulator, type IpaEmulator } from '../src/ipa-emulator/server.js';
import { createLogger } from '../src/log/logger.js';
import type { MessageSettled } from '../src/notify/consumer.js';
import { startNotify } from '../src/notify/start.js';
import type { EventEnvelope } from '../src/notify/types.js';
import { consumedQueues, declareTopology, retryQueueNames } from '../src/notify/topology.js';
import { publishAllConfirmed } from './support/confirming-publisher.js';
import { legacyDelete, osloBody, testConfig, waitForEvent, type TestNotifyConfig } from './support/notify.js';
import { startRabbitCluster, type RabbitCluster, type RabbitNode } from './support/rabbit-cluster.js';

const DELETES = 1000;
const BYSTANDERS = 100;
const PROJECT = 'p1';
const KILL_AFTER = 300;
/** Per FreeIPA call, as the benchmark's: deletes then take long enough to be in flight at the kill. */
const RPC_LATENCY_MS = 5;

let cluster: RabbitCluster;
let ipa: IpaEmulator;

test.before(async (t) => {
  t.timeout(600_000);
  [cluster, ipa] = await Promise.all([
    startRabbitCluster(3),
    startIpaEmulator({ authenticators: passwordTableAuthenticators({}, 'EXAMPLE.TEST') }),
  ]);
});

test.after.always(async () => {
  await cluster?.stop();
  await ipa?.close();
});

const amqpUrl = (node: RabbitNode) => `amqp://guest:guest@127.0.0.1:${node.port}/`;
const portOf = (display: string | null) => Number(/:(\d+)\/[^/]*$/.exec(display ?? '')?.[1] ?? NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The test FreeIPA's engine, answering after `ms` like a server over the
 * network, and not before `hold()` resolves: answers wait while a node is
 * being killed, so deletes are still in the listener when the node is gone
 * (a fast listener could otherwise finish every delete during the kill).
 */
function slow(client: RpcClient, ms: number, hold: () => Promise<void> | null): RpcClient {
  const wait = async () => {
    await sleep(ms);
    await hold();
  };
  return {
    call: async (command, opts) => (await wait(), client.call(command, opts)),
    batch: async (commands, opts) => (await wait(), client.batch(commands, opts)),
    ping: async (opts) => (await wait(), client.ping(opts)),
  };
}

interface Host {
  readonly instanceId: string;
  readonly fqdn: string;
}

async function seed(prefix: string, count: number): Promise<Host[]> {
  const hosts: Host[] = [];
  for (let i = 0; i < count; i++) {
    const host = { instanceId: randomUUID(), fqdn: `${prefix}-${i}.${ipa.env.domain}` };
    const description = formatBinding({ kind: 'host', instanceId: host.instanceId, projectId: PROJECT, generation: 1, issuedAt: Math.floor(Date.now() / 1000) });
    const reply = await ipa.rpc('host_add', [host.fqdn], { force: true, description, userpassword: randomUUID() });
    if (reply.error) throw new Error(`seeding ${host.fqdn}: ${JSON.stringify(reply.error)}`);
    hosts.push(host);
  }
  return hosts;
}

async function present(hosts: readonly Host[]): Promise<number> {
  let n = 0;
  for (const h of hosts) if (await ipa.getHost(h.fqdn)) n += 1;
  return n;
}

/** Queue name -> its members, as rabbitmqctl lists a quorum queue's. */
async function membersOf(names: readonly string[]): Promise<Map<string, string>> {
  const out = await cluster.ctl(['list_queues', '--no-table-headers', 'name', 'type', 'members']);
  const map = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name = '', type = '', members = ''] = line.split('\t');
    if (names.includes(name)) map.set(name, `${type} ${members}`);
  }
  return map;
}

function fullConfig(notifications: TestNotifyConfig): Config {
  const base = defaultConfig();
  return { ...base, naming: { ...base.naming, domain: ipa.env.domain }, freeipa: { ...base.freeipa, realm: ipa.env.realm, timeoutMs: 30_000 }, notifications };
}

async function removeTopology(config: TestNotifyConfig): Promise<void> {
  const node = cluster.nodes.find((n) => n.running)!;
  const model = await connect(amqpUrl(node), { timeout: 10_000 });
  model.on('error', () => undefined);
  try {
    const channel = await model.createChannel();
    for (const q of [...consumedQueues(config), config.deadLetterQueue, ...retryQueueNames(config)]) await channel.deleteQueue(q);
    for (const ex of config.exchanges) await channel.deleteExchange(ex);
  } finally {
    await model.close().catch(() => undefined);
  }
}

interface Scenario {
  /** Nodes in the listener's transport_url order. */
  readonly listenerOrder: readonly number[];
  /** Declare the topology through this node before the listener starts (its queues' leader). */
  readonly declareOn: number | null;
  readonly victim: 'consumer' | 'leader';
}

async function run(t: ExecutionContext, scenario: Scenario) {
  t.timeout(900_000);
  for (const n of cluster.nodes) if (!n.running) await cluster.start(n.index);
  const nodes = cluster.nodes;
  const config = testConfig({ queueType: 'quorum', transportUrl: cluster.transportUrl, prefetch: 32, drainTimeoutMs: 10_000 });
  t.teardown(() => removeTopology(config).catch(() => undefined));
  const tag = randomUUID().slice(0, 8);
  const targets = await seed(`del-${tag}`, DELETES);
  const bystanders = await seed(`keep-${tag}`, BYSTANDERS);

  if (scenario.declareOn !== null) {
    const model = await connect(amqpUrl(nodes[scenario.declareOn]!), { timeout: 10_000 });
    await declareTopology(await model.createChannel(), config);
    await model.close();
  }
  const lines: string[] = [];
  const logger = createLogger({
    format: 'json',
    stream: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const url = `rabbit://${scenario.listenerOrder.map((i) => `guest:guest@127.0.0.1:${nodes[i]!.port}`).join(',')}/`;
  let killing: Promise<void> | null = null;
  const directory = new FreeIpaDirectory({ client: slow(new InProcessRpc(ipa.engine, `admin@${ipa.env.realm}`), RPC_LATENCY_MS, () => killing), realm: ipa.env.realm, zone: ipa.env.domain });
  const notify = await startNotify(fullConfig(config), logger, {
    directory,
    projects: { projectName: async () => null },
    ports: null,
    url,
  });
  t.teardown(() => notify.close());
  const consumer = notify.listener.consumer;
  consumer.on('error', () => undefined);
  const settled: MessageSettled[] = [];
  consumer.on('message', (m) => settled.push(m));

  // Every queue the listener uses must have a member on each node, or a node loss takes it away.
  const queues = [...consumedQueues(config), ...retryQueueNames(config), config.deadLetterQueue];
  const members = await membersOf(queues);
  for (const q of queues) {
    const line = members.get(q) ?? '';
    t.true(line.startsWith('quorum') && nodes.every((n) => line.includes(n.name)), `${q}: ${line}`);
  }

  const consumerNode = cluster.nodeByPort(portOf(consumer.status().broker));
  const leader = await cluster.leaderOf(config.queue);
  const victim = scenario.victim === 'consumer' ? consumerNode : leader;
  if (scenario.victim === 'leader') t.not(leader.index, consumerNode.index, 'the leader case needs the listener elsewhere');
  const publishVia = nodes.filter((n) => n.index !== victim.index && n.index !== consumerNode.index)[0] ?? nodes.find((n) => n.index !== victim.index)!;
  const others = nodes.filter((n) => n.index !== victim.index && n.index !== publishVia.index);

  const messages = targets.map((h) => ({ exchange: config.nova, routingKey: config.routingKey, body: osloBody({ ...legacyDelete(h.instanceId), payload: { instance_id: h.instanceId, tenant_id: PROJECT, hostname: 'vm', state: 'deleted' } }) }));
  // The kill comes from the listener's own progress, while deletes are in
  // flight in it and more are being published: not in a quiet moment.
  let killedAt = 0;
  let killed = false;
  let inFlightAtKill = 0;
  let publishedAtKill = 0;
  let confirmed = 0;
  const appliedAfterKill = waitForEvent<[EventEnvelope]>(consumer, 'applied', () => killed, 600_000);
  const reconnected = scenario.victim === 'consumer' ? waitForEvent(consumer, 'connected', () => killedAt > 0, 600_000) : null;
  let applied = 0;
  consumer.on('applied', () => {
    applied += 1;
    if (killedAt === 0 && applied >= KILL_AFTER && consumer.inFlight > 0) {
      killedAt = Date.now();
      inFlightAtKill = consumer.inFlight;
      publishedAtKill = confirmed;
      killing = cluster.kill(victim.index).then(() => void (killed = true));
    }
  });
  const report = await publishAllConfirmed(messages, {
    urls: [publishVia, ...others].map(amqpUrl),
    // Small windows: publishing goes on across the kill.
    window: 10,
    onProgress: (n) => void (confirmed = n),
  });
  for (const until = Date.now() + 120_000; killedAt === 0 && Date.now() < until; ) await sleep(100);
  await killing;
  t.true(killedAt > 0, 'the node was killed while deletes were in flight');
  const [firstAfter] = await appliedAfterKill;
  const recoveredAt = Date.now();
  t.truthy(firstAfter);
  const reconnectMs = reconnected ? (await reconnected, Date.now() - killedAt) : null;

  // Wait until FreeIPA holds none of the targets, or a generous deadline.
  const deadline = Date.now() + 300_000;
  let remaining = await present(targets);
  while (remaining > 0 && Date.now() < deadline) {
    await sleep(500);
    remaining = await present(targets);
  }
  // Whatever is still coming (redeliveries) settles before counting.
  await sleep(2000);
  const appliedSettled = settled.filter((m) => m.outcome === 'applied');
  const appliedIds = new Set(appliedSettled.map((m) => m.uniqueId));
  const duplicates = settled.length - new Set(settled.map((m) => m.uniqueId)).size;
  const bystandersLeft = await present(bystanders);
  const deadLettered = consumer.metrics.deadLettered;
  t.log(
    `${scenario.victim === 'consumer' ? "listener's node" : 'queue leader'} ${victim.name} killed after ${KILL_AFTER} deletes applied, ${inFlightAtKill} in the listener, ${publishedAtKill} confirmed to the publisher; ` +
      `deletes applied ${DELETES - remaining}/${DELETES}, lost ${remaining + deadLettered}, duplicate deliveries ${duplicates} (applied twice: ${appliedSettled.length - appliedIds.size}), ` +
      `bystander hosts kept ${bystandersLeft}/${BYSTANDERS}; first delete after the kill ${recoveredAt - killedAt} ms` +
      (reconnectMs !== null ? `, listener reconnected after ${reconnectMs} ms to ${consumer.status().broker}` : `, listener stayed on ${consumer.status().broker}`) +
      `; publisher sent ${report.sent} (republished ${report.republished}, reconnects ${report.reconnects})`,
  );
  t.is(remaining, 0, 'every delete applied');
  t.is(deadLettered, 0, 'nothing dead-lettered');
  t.is(appliedSettled.length, appliedIds.size, 'no delete applied twice');
  t.is(bystandersLeft, BYSTANDERS, 'no other host touched');
  t.is(consumer.state, 'consuming');
  const now = cluster.nodeByPort(portOf(consumer.status().broker));
  t.not(now.index, victim.index);
  if (scenario.victim === 'consumer') {
    t.is(consumer.metrics.reconnects, 1);
    // The next host of the URL, not the dead one again.
    const dead = `127.0.0.1:${victim.port}`;
    t.false(lines.some((l) => l.includes('cannot reach the message broker') && l.includes(dead)), 'the listener went to a surviving node first');
  } else {
    t.is(now.index, consumerNode.index, 'a leader change is not a reconnect');
  }
}

test.serial('the node the listener is connected to dies in the middle of 1,000 deletes: every delete applied once, none lost', (t) =>
  run(t, { listenerOrder: [0, 1, 2], declareOn: null, victim: 'consumer' }),
);

test.serial('the quorum queues\' leader dies in the middle of 1,000 deletes: every delete applied once, none lost', (t) =>
  run(t, { listenerOrder: [1, 2, 0], declareOn: 0, victim: 'leader' }),
);
