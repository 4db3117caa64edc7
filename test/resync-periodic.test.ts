/**
 * The periodic resync of novajoin-notify and its lock, on the real RabbitMQ:
 * one holder at a time, released when the holder's connection dies (even a
 * SIGKILLed process), one resync per interval across listeners, and a real
 * run against the test FreeIPA that removes a stale host through the
 * listener's own lifecycle.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.js';
import { formatBinding } from '../src/domain/binding.js';
import { InstanceLifecycle } from '../src/domain/lifecycle.js';
import { FreeIpaClient } from '../src/freeipa/client.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { silentLogger } from '../src/log/logger.js';
import { parseTransportUrl } from '../src/notify/transport-url.js';
import { QueueLock } from '../src/resync/lock.js';
import { startPeriodicResync } from '../src/resync/periodic.js';
import type { ResyncReport } from '../src/resync/run.js';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';
import { writeStackConfig } from './support/novajoin-cli.js';
import { startOpenStack, type OpenStackServers } from './support/openstack-servers.js';

const AMQP = 'amqp://guest:guest@127.0.0.1:5672/';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const logger = silentLogger();
const lockOf = (queue: string) => new QueueLock({ endpoints: parseTransportUrl(AMQP), queue, logger, connectTimeoutMs: 5_000, heartbeatSeconds: 5 });
const uniqueQueue = () => `novajoin.resync.lock.test-${randomUUID()}`;

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let stack: IpaStack;
let openstack: OpenStackServers;
let dir: string;

test.before(async () => {
  stack = await startIpaStack();
  openstack = await startOpenStack();
  dir = await mkdtemp(join(tmpdir(), 'novajoin-periodic-test-'));
});

test.after.always(async () => {
  await openstack?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the exclusive queue admits one holder, and the next one once it lets go', async (t) => {
  const queue = uniqueQueue();
  const a = lockOf(queue);
  const b = lockOf(queue);
  try {
    t.true(await a.tryAcquire());
    t.true(await a.tryAcquire(), 'holding it is idempotent');
    t.false(await b.tryAcquire());
    t.false(b.held);
    await a.release();
    t.true(await b.tryAcquire());
    t.false(await a.tryAcquire());
  } finally {
    await a.release();
    await b.release();
  }
});

test('a holder killed with SIGKILL loses the lock: the broker drops it with the connection', async (t) => {
  const queue = uniqueQueue();
  const script = join(dir, 'hold-lock.mts'); // .mts: ESM outside the package, for top-level await
  await writeFile(
    script,
    `import { QueueLock } from ${JSON.stringify(join(ROOT, 'src/resync/lock.ts'))};
import { parseTransportUrl } from ${JSON.stringify(join(ROOT, 'src/notify/transport-url.ts'))};
import { silentLogger } from ${JSON.stringify(join(ROOT, 'src/log/logger.ts'))};
const lock = new QueueLock({ endpoints: parseTransportUrl(${JSON.stringify(AMQP)}), queue: ${JSON.stringify(queue)}, logger: silentLogger(), connectTimeoutMs: 5000 });
process.stdout.write(String(await lock.tryAcquire()) + '\\n');
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const other = lockOf(queue);
  try {
    await waitFor('the child to take the lock', () => out.includes('true'));
    t.false(await other.tryAcquire(), 'held by the child');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await waitFor('the broker to release the lock', () => other.tryAcquire());
    t.true(other.held);
  } finally {
    child.kill('SIGKILL');
    await other.release();
  }
});

test('several listeners: one runs the resync, never two at once; another takes over when it stops', async (t) => {
  const config = loadConfigFile(await writeStackConfig({ dir: await mkdtemp(join(dir, 'l-')), stack, openstack })).config;
  const queue = uniqueQueue();
  const runs = [0, 0, 0];
  let inFlight = 0;
  let overlap = 0;
  const listeners = [0, 1, 2].map((i) =>
    startPeriodicResync({
      config,
      logger,
      url: AMQP,
      intervalMs: 200,
      lockQueue: queue,
      runOnce: async () => {
        inFlight++;
        overlap = Math.max(overlap, inFlight);
        runs[i]!++;
        await new Promise((r) => setTimeout(r, 100));
        inFlight--;
      },
    }),
  );
  try {
    await waitFor('five resyncs', () => runs.reduce((a, b) => a + b, 0) >= 5);
    const leaders = runs.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
    t.is(leaders.length, 1, `one listener ran them all: ${runs.join(', ')}`);
    t.is(overlap, 1);
    const leader = leaders[0]!;
    t.true(listeners[leader]!.leader);
    await listeners[leader]!.stop();
    const before = [...runs];
    await waitFor('another listener to take over', () => runs.some((n, i) => i !== leader && n > before[i]!));
    t.is(runs[leader], before[leader], 'the stopped one runs no more');
    t.is(overlap, 1);
  } finally {
    await Promise.all(listeners.map((l) => l.stop()));
  }
});

test('resync_interval = 0 (the default) starts nothing', async (t) => {
  const config = loadConfigFile(await writeStackConfig({ dir: await mkdtemp(join(dir, 'z-')), stack, openstack })).config;
  t.is(config.notifications.resyncIntervalMs, 0);
  const periodic = startPeriodicResync({ config, logger, runOnce: async () => t.fail('must not run') });
  t.false(periodic.leader);
  await periodic.stop();
});

test('a periodic run with the listener\'s lifecycle removes a stale host and keeps the live one', async (t) => {
  // The default [ldap] section: GSSAPI with the keytab, the server named as in its ldap/ principal.
  const config = loadConfigFile(
    await writeStackConfig({
      dir: await mkdtemp(join(dir, 'r-')),
      stack,
      openstack,
      unset: ['ldap.auth', 'ldap.bind_dn', 'ldap.bind_password_file'],
      set: { 'ldap.url': stack.ldap!.urlByName },
    }),
  ).config;
  t.is(config.ldap.auth, 'gssapi');
  const client = new FreeIpaClient({
    url: stack.url,
    server: stack.serverName,
    caFile: stack.caFile,
    auth: { kind: 'kerberos', keytab: stack.clientKeytab, principal: stack.clientPrincipal },
    apiVersion: '2.230',
    timeoutMs: 20_000,
    retries: 1,
    maxConcurrency: 4,
    lookup: stack.lookup,
  });
  const directory = new FreeIpaDirectory({ client, realm: stack.realm, zone: stack.domain });
  const projects = { projectName: async () => 'demo' };
  const lifecycle = new InstanceLifecycle({
    directory,
    projects,
    policy: { naming: config.naming, realm: stack.realm, projects: config.projects },
    logger,
    fixedIpDns: false,
    floatingIpDns: false,
    timeoutMs: 20_000,
  });
  const project = openstack.projects.demo.id;
  const live = randomUUID();
  openstack.addServer({ id: live, name: 'alive', projectId: project, metadata: { ipa_enroll: 'True' } });
  const binding = (instanceId: string) => formatBinding({ kind: 'host', instanceId, projectId: project, generation: 1, issuedAt: Math.floor(Date.now() / 1000) });
  const seeded = await directory.write(
    [
      { op: 'addHost', fqdn: 'alive.example.test', otp: randomBytes(20).toString('hex'), description: binding(live) },
      { op: 'addHost', fqdn: 'vanished.example.test', otp: randomBytes(20).toString('hex'), description: binding(randomUUID()) },
    ],
    Date.now() + 20_000,
  );
  t.true(seeded.every((r) => r.ok));

  const reports: ResyncReport[] = [];
  const errors: Error[] = [];
  const periodic = startPeriodicResync({
    config,
    logger,
    lifecycle,
    directory,
    ldapLookup: stack.lookup as unknown as LookupFunction,
    url: AMQP,
    intervalMs: 300,
    lockQueue: uniqueQueue(),
    onRun: ({ report, error }) => {
      if (report) reports.push(report);
      if (error) errors.push(error);
    },
  });
  try {
    await waitFor('a periodic run', () => reports.length + errors.length > 0, 60_000);
    t.deepEqual(errors, []);
    t.deepEqual(reports[0]?.plan.items.map((i) => [i.kind, i.fqdn]), [['stale-host', 'vanished.example.test']]);
    t.deepEqual(reports[0]?.results?.map((r) => r.outcome), ['applied']);
    t.is(await stack.emulator.getHost('vanished.example.test'), null);
    t.not(await stack.emulator.getHost('alive.example.test'), null);
    await waitFor('a second run', () => reports.length > 1, 60_000);
    t.deepEqual(reports[1]?.plan.items, [], 'then in sync');
  } finally {
    await periodic.stop();
    await client.close();
  }
});
