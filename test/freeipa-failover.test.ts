/**
 * Several FreeIPA servers: discovery through real DNS (dnsmasq), RFC 2782
 * order, FreeIPA locations, failover within the deadline, backoff, sessions
 * per server, and writes whose answer was lost never resent elsewhere.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { JoinService } from '../src/domain/join.js';
import { OtpMinter } from '../src/domain/otp.js';
import type { DirectoryCallOptions, ReadQuery, ReadResult, WriteOp, WriteResult } from '../src/domain/ports.js';
import { FreeIpaClient, type FreeIpaClientOptions } from '../src/freeipa/client.js';
import { hostAdd, hostShow } from '../src/freeipa/commands.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { FreeIpaOutcomeUnknownError, FreeIpaSaturatedError, FreeIpaTlsError, FreeIpaUnavailableError, NotFoundError } from '../src/freeipa/errors.js';
import { readFile } from 'node:fs/promises';
import { makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir } from './support/tmp.js';
import { silentLogger } from '../src/log/logger.js';
import { discoverServers, rfc2782Order } from '../src/freeipa/srv.js';
import { startIpaStack, stackClientOptions, type IpaStack } from './support/ipa-stack.js';
import { replicaNames, startReplicas, type ReplicaSet } from './support/replicas.js';

let stack: IpaStack;
let set: ReplicaSet;

test.before(async () => {
  stack = await startIpaStack({ store: 'memory', replicas: replicaNames(2) });
  set = await startReplicas(stack, 2);
});

test.after.always(async () => {
  await set?.stop();
  await stack?.stop();
});

function client(t: { teardown: (fn: () => Promise<void>) => void }, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClient {
  const { lookup: _pinned, ...base } = stackClientOptions(stack);
  const c = new FreeIpaClient({
    ...base,
    url: '',
    server: '',
    discovery: { domain: stack.domain, urlTemplate: set.urlTemplate, refreshMs: 60_000, timeoutMs: 2_000 },
    dnsServers: [set.dns.server],
    // Long enough that a loaded machine cannot see a server come back between a failure and the check of its state.
    serverBackoff: { initialMs: 10_000, maxMs: 10_000 },
    ...overrides,
  });
  t.teardown(() => c.close());
  return c;
}

/** The join flow over one client, as novajoin-server builds it. */
function joinServiceOn(c: FreeIpaClient, DirectoryClass: typeof FreeIpaDirectory = FreeIpaDirectory): { directory: FreeIpaDirectory; join: JoinService } {
  const directory = new DirectoryClass({ client: c, realm: stack.realm, zone: stack.domain });
  const join = new JoinService({
    directory,
    images: { imageProperties: async () => null },
    projects: { projectName: async () => 'demo' },
    otp: new OtpMinter(Buffer.from('x'.repeat(48))),
    policy: { naming: { domain: stack.domain, projectSubdomain: false, normalizeProject: true, hostnameTemplate: '' }, realm: stack.realm, projects: new Map() },
    logger: silentLogger(),
    answerTtlMs: 30_000,
  });
  return { directory, join };
}

const [ipa1, ipa2] = [0, 1];
const emulator = (i: number) => set.replicas[i]!.emulator;

test.serial('SRV records through a real DNS server: lowest priority first, and the calls go there', async (t) => {
  await set.srv([{ priority: 10 }, { priority: 0 }]);
  const c = client(t);
  await c.ping();
  t.deepEqual(c.servers().map((s) => s.name), ['ipa2.example.test', 'ipa1.example.test']);
  t.true(c.servers().every((s) => s.state === 'up' && s.lastError === null));
  t.is(c.discovery?.query, '_ldap._tcp.example.test');
  const before = emulator(ipa1).counters().roundTrips;
  await c.ping();
  t.is(emulator(ipa1).counters().roundTrips, before, 'the preferred server takes the calls while it is up');
});

test.serial('a FreeIPA location: its servers come first; an unknown location falls back to the domain records', async (t) => {
  await set.srv([{ priority: 0, location: 'west' }, { priority: 0 }]);
  const found = await discoverServers({ domain: stack.domain, location: 'west', dnsServers: [set.dns.server], timeoutMs: 2_000 });
  t.is(found.query, '_ldap._tcp.west._locations.example.test');
  t.deepEqual(found.targets.map((s) => s.name), ['ipa1.example.test']);
  const fallback = await discoverServers({ domain: stack.domain, location: 'east', dnsServers: [set.dns.server], timeoutMs: 2_000 });
  t.is(fallback.query, '_ldap._tcp.example.test');
  t.is(fallback.targets.length, 2);
});

test('RFC 2782 order: priority first; within one, weight decides how often a server comes first', (t) => {
  const records = [
    { name: 'a', priority: 0, weight: 90 },
    { name: 'b', priority: 0, weight: 10 },
    { name: 'c', priority: 5, weight: 100 },
  ];
  let aFirst = 0;
  for (let i = 0; i < 2000; i++) {
    const order = rfc2782Order(records).map((r) => r.name);
    t.is(order[2], 'c');
    if (order[0] === 'a') aFirst += 1;
  }
  t.true(aFirst > 1600 && aFirst < 1950, `a first ${aFirst} times of 2000 (expected about 1800)`);
});

test.serial('no SRV record at all: a clear FreeIpaUnavailableError naming the record looked up; configured servers stand in when there are some', async (t) => {
  const discovery = { domain: 'nowhere.example.test', urlTemplate: set.urlTemplate, refreshMs: 60_000, timeoutMs: 2_000 };
  const c = client(t, { discovery });
  await t.throwsAsync(() => c.ping(), { instanceOf: FreeIpaUnavailableError, message: /_ldap\._tcp\.nowhere\.example\.test/ });
  const fallback = client(t, { discovery, servers: [{ name: 'ipa2.example.test', url: set.urlTemplate.replace('{server}', 'ipa2.example.test') }] });
  t.regex(await fallback.ping(), /API version/);
  t.regex(fallback.discovery?.error ?? '', /nowhere/);
});

test.serial('a replica that refuses connections: the call goes to the next one, the server is down until a call to it succeeds again after its backoff', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t, { serverBackoff: { initialMs: 5_000, maxMs: 5_000 } });
  await c.ping();
  t.is(c.servers()[0]!.name, 'ipa1.example.test');
  await emulator(ipa1).setMode('refuse');
  try {
    const logins2 = emulator(ipa2).counters().logins;
    const read = await c.call(hostShow(`ipa1.example.test`)).catch((e: unknown) => e);
    t.false(read instanceof FreeIpaUnavailableError, 'the read was served by the other replica');
    t.is(emulator(ipa2).counters().logins, logins2 + 1, 'ipa2 got its own login: the session cookie belongs to one server');
    const [first] = c.servers();
    t.is(first!.state, 'down');
    t.truthy(first!.downUntil && first!.downUntil > Date.now());
    t.regex(first!.lastError ?? '', /ECONNREFUSED|cannot reach/);
    // While it is down, calls do not even try it.
    const requests1 = emulator(ipa1).counters().requests;
    await c.ping();
    t.is(emulator(ipa1).counters().requests, requests1);
  } finally {
    await emulator(ipa1).setMode('up');
  }
  await new Promise((r) => setTimeout(r, 5_100));
  // Its backoff is over but no call has reached it since: still down, due for a retry.
  const due = c.servers()[0]!;
  t.is(due.state, 'down');
  t.true(due.downUntil !== null && due.downUntil <= Date.now());
  await c.ping();
  t.is(c.servers()[0]!.state, 'up');
  t.regex(c.servers()[0]!.lastError ?? '', /ECONNREFUSED|cannot reach/, 'the last error stays visible after recovery');
});

test.serial('HTTP 5xx takes the server out too; a read is repeated on the next server', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t);
  await c.ping();
  await emulator(ipa1).setMode('error500');
  try {
    t.regex(await c.ping(), /API version/);
    t.is(c.servers()[0]!.state, 'down');
    t.regex(c.servers()[0]!.lastError ?? '', /HTTP 500/);
  } finally {
    await emulator(ipa1).setMode('up');
  }
});

test.serial('a replica whose certificate does not verify is taken out and the call goes to the next; alone, it is a TLS error', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const dir = await makeTempDir('novajoin-wrong-ca');
  t.teardown(() => removeDir(dir));
  // A certificate for the right name from another CA: what a renewal gone wrong serves.
  const wrong = await makeTestCa(dir, ['ipa1.example.test']);
  const right = { cert: await readFile(stack.certFile), key: await readFile(stack.keyFile) };
  const c = client(t);
  await c.ping();
  emulator(ipa1).setCertificate({ cert: await readFile(wrong.certFile), key: await readFile(wrong.keyFile) });
  try {
    t.regex(await c.ping(), /API version/, 'served by ipa2');
    const [first, second] = c.servers();
    t.is(first!.state, 'down');
    t.regex(first!.lastError ?? '', /certificate/i);
    t.is(second!.state, 'up');
    const alone = client(t, { discovery: undefined, server: 'ipa1.example.test', url: `https://ipa1.example.test:${set.port}/ipa` });
    await t.throwsAsync(alone.ping(), { instanceOf: FreeIpaTlsError });
  } finally {
    emulator(ipa1).setCertificate(right);
  }
});

test.serial('a replica that accepts and never answers costs half the budget, not all of it: a read and a first join go on to the next', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const reader = client(t);
  await reader.ping();
  const joiner = client(t);
  const { directory, join } = joinServiceOn(joiner);
  // Learnt before the outage, as novajoin-server does at start: the join's first FreeIPA call is then its batch.
  await directory.maxHostnameLength(Date.now() + 5_000);
  await emulator(ipa1).setMode('hang');
  try {
    t.regex(await reader.ping({ deadline: Date.now() + 6_000 }), /API version/, 'served by ipa2 before the deadline');
    t.is(reader.servers()[0]!.state, 'down');
    t.regex(reader.servers()[0]!.lastError ?? '', /ipa1\.example\.test did not answer within \d+ ms/);
    // The batch on the hanging server gives up at half the join's budget, and the join ends on ipa2
    // (8 s, not Nova's 5, so a loaded machine's first login to ipa2 fits in the second half too).
    const hostname = `hang-${randomUUID().slice(0, 8)}`;
    const result = await join.join({ instanceId: randomUUID(), projectId: 'p1', imageId: '', hostname, metadata: { ipa_enroll: 'True' } }, Date.now() + 8_000);
    t.is(result.outcome, 'created');
    t.regex((result.answer as { ipaotp?: string }).ipaotp ?? '', /^[0-9a-f]{40}$/);
    t.truthy(await emulator(ipa2).getHost(`${hostname}.${stack.domain}`));
  } finally {
    await emulator(ipa1).setMode('up');
  }
});

test.serial('a write whose answer was lost is not resent to another replica: FreeIpaOutcomeUnknownError', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t);
  await c.ping();
  await emulator(ipa1).setMode('error500');
  const adds = set.commandCount('host_add');
  try {
    await t.throwsAsync(() => c.call(hostAdd('lost-answer.example.test', { force: true })), { instanceOf: FreeIpaOutcomeUnknownError });
    t.is(set.commandCount('host_add'), adds, 'host_add was not sent to ipa2');
  } finally {
    await emulator(ipa1).setMode('up');
  }
  await t.throwsAsync(() => c.call(hostShow('lost-answer.example.test')), { instanceOf: NotFoundError });
});

test.serial('a write that never left (connection refused) goes to the next replica', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t);
  await c.ping();
  await emulator(ipa1).setMode('refuse');
  try {
    await c.call(hostAdd('refused-first.example.test', { force: true }));
  } finally {
    await emulator(ipa1).setMode('up');
  }
  t.truthy(await emulator(ipa1).getHost('refused-first.example.test'), 'ipa1 sees it: the replicas share their entries');
});

test.serial('every replica down: FreeIpaUnavailableError within the deadline, each server tried', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t, { retries: 1 });
  await c.ping();
  await Promise.all(set.replicas.map((r) => r.emulator.setMode('refuse')));
  try {
    const deadline = Date.now() + 3_000;
    await t.throwsAsync(() => c.ping({ deadline }), { instanceOf: FreeIpaUnavailableError });
    t.true(c.servers().every((s) => s.state === 'down'));
  } finally {
    await Promise.all(set.replicas.map((r) => r.emulator.setMode('up')));
  }
});

test.serial('the list follows DNS: a refresh picks up a changed record set and keeps known servers\' sessions', async (t) => {
  await set.srv([{ priority: 0 }]);
  const c = client(t);
  await c.ping();
  t.deepEqual(c.servers().map((s) => s.name), ['ipa1.example.test']);
  await set.srv([{ priority: 10 }, { priority: 0 }]);
  await c.refreshServers();
  t.deepEqual(c.servers().map((s) => s.name), ['ipa2.example.test', 'ipa1.example.test']);
  // DNS failing on a refresh keeps the last list.
  await set.dns.stop();
  try {
    await c.refreshServers();
    t.is(c.servers().length, 2);
    t.truthy(c.discovery?.error);
  } finally {
    await set.srv([{ priority: 0 }, { priority: 10 }]);
  }
});

test.serial('the records\' TTL decides when they are looked up again (within the bounds)', async (t) => {
  await set.srv([{ priority: 0 }], 2);
  const c = client(t, { discovery: { domain: stack.domain, urlTemplate: set.urlTemplate, refreshMs: 60_000, minRefreshMs: 500, timeoutMs: 2_000 } });
  await c.ping();
  t.is(c.discovery?.nextRefreshMs, 2_000, 'a 2 s TTL, inside [0.5 s, 60 s]');
  t.deepEqual(c.servers().map((s) => s.name), ['ipa1.example.test']);
  await set.srv([{ priority: 10 }, { priority: 0 }], 2);
  // No explicit refresh: the TTL ran out and the client looked again.
  const deadline = Date.now() + 20_000;
  while (c.servers().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(c.servers().map((s) => s.name), ['ipa2.example.test', 'ipa1.example.test']);
  const capped = client(t, { discovery: { domain: stack.domain, urlTemplate: set.urlTemplate, refreshMs: 1_000, minRefreshMs: 500, timeoutMs: 2_000 } });
  await set.srv([{ priority: 0 }], 3600);
  await capped.ping();
  t.is(capped.discovery?.nextRefreshMs, 1_000, 'a long TTL is capped at discovery_refresh');
});

test.serial('a call the connection slots refuse (FreeIPA saturated) is sent nowhere and takes no server out', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t, { maxConcurrency: 1 });
  // Each call holds the one slot for 400 ms or more: the first call teaches the client that.
  emulator(ipa1).setCapacity({ workers: 1, readMs: 400, writeMs: 400, itemMs: 0 });
  try {
    await c.ping();
    const holding = c.ping();
    while (c.slots.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    const requests = [emulator(ipa1).counters().requests, emulator(ipa2).counters().requests];
    const retries = c.stats.retries;
    const refused = await c.ping({ deadline: Date.now() + 300 }).catch((e: unknown) => e);
    t.true(refused instanceof FreeIpaSaturatedError, `refused at once as saturated, not ${String(refused)}`);
    t.deepEqual([emulator(ipa1).counters().requests, emulator(ipa2).counters().requests], requests, 'not sent to either server');
    t.is(c.stats.retries, retries, 'not retried');
    t.true(c.servers().every((s) => s.state === 'up'), 'a saturated queue is not a server failure');
    await holding;
  } finally {
    emulator(ipa1).setCapacity(null);
  }
});

test.serial('a first join whose batch answer was lost re-reads as a first join (not shed as a repeat) and answers an OTP', async (t) => {
  await set.srv([{ priority: 0 }, { priority: 10 }]);
  const c = client(t);
  await c.ping();
  const urgencies: string[] = [];
  class Recording extends FreeIpaDirectory {
    override read(query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<ReadResult> {
      urgencies.push(`read ${options?.urgency}`);
      return super.read(query, deadline, options);
    }
    override writeAndRead(ops: readonly WriteOp[], query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<{ writes: WriteResult[]; read: ReadResult }> {
      urgencies.push(`writeAndRead ${options?.urgency}`);
      return super.writeAndRead(ops, query, deadline, options);
    }
  }
  const { directory, join } = joinServiceOn(c, Recording);
  // Learnt before the outage, as novajoin-server does at start: the join's first FreeIPA call is then its batch.
  await directory.maxHostnameLength(Date.now() + 5_000);
  const hostname = `lost-${randomUUID().slice(0, 8)}`;
  await emulator(ipa1).setMode('error500');
  try {
    const result = await join.join({ instanceId: randomUUID(), projectId: 'p1', imageId: '', hostname, metadata: { ipa_enroll: 'True' } }, Date.now() + 20_000);
    t.is(result.outcome, 'created');
    t.regex((result.answer as { ipaotp?: string }).ipaotp ?? '', /^[0-9a-f]{40}$/);
  } finally {
    await emulator(ipa1).setMode('up');
  }
  t.deepEqual(urgencies, ['writeAndRead first-join', 'read first-join']);
  t.truthy(await emulator(ipa2).getHost(`${hostname}.${stack.domain}`));
});
