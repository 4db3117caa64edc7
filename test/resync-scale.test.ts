/**
 * Resync at scale: 2,000 Nova servers (two pages of 1,000) and 2,000 hosts
 * of ours in the test FreeIPA (389-ds-backed, read through LDAP paging), with
 * a little drift among them. Durations go to the test log; nothing is timed.
 */
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBinding } from '../src/domain/binding.js';
import type { WriteOp } from '../src/domain/ports.js';
import { FreeIpaClient } from '../src/freeipa/client.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';
import { runNovajoin, stackEnv, writeStackConfig } from './support/novajoin-cli.js';
import { startOpenStack, type OpenStackServers } from './support/openstack-servers.js';

const SERVERS = 2_000;
const STALE = 20; // hosts whose instance is gone
const WANT_SERVICE = 10; // servers whose metadata asks for a service the host lacks

let stack: IpaStack;
let openstack: OpenStackServers;
let dir: string;
let configFile: string;

test.before(async (t) => {
  // Seeding 2,020 hosts into 389-ds takes longer than ava's 2-minute inactivity timeout on a loaded machine.
  t.timeout(600_000);
  stack = await startIpaStack();
  openstack = await startOpenStack();
  dir = await mkdtemp(join(tmpdir(), 'novajoin-resync-scale-'));
  configFile = await writeStackConfig({ dir, stack, openstack, set: { 'ldap.page_size': '500' } });
  const client = new FreeIpaClient({
    url: stack.url,
    server: stack.serverName,
    caFile: stack.caFile,
    auth: { kind: 'kerberos', keytab: stack.clientKeytab, principal: stack.clientPrincipal },
    apiVersion: '2.230',
    timeoutMs: 120_000,
    retries: 1,
    maxConcurrency: 4,
    lookup: stack.lookup,
  });
  const directory = new FreeIpaDirectory({ client, realm: stack.realm, zone: stack.domain });
  const project = openstack.projects.demo.id;
  const issuedAt = Math.floor(Date.now() / 1000);
  const ops: WriteOp[] = [];
  for (let i = 0; i < SERVERS + STALE; i++) {
    const name = `vm-${String(i).padStart(4, '0')}`;
    const id = randomUUID();
    if (i < SERVERS) {
      const metadata: Record<string, string> = { ipa_enroll: 'True' };
      if (i < WANT_SERVICE) metadata['managed_service_web'] = `HTTP/${name}.${stack.domain}`;
      openstack.addServer({ id, name, projectId: project, metadata });
    }
    // As the join writes them: waiting for their guest, OTP set, binding in the description.
    ops.push({ op: 'addHost', fqdn: `${name}.${stack.domain}`, otp: randomBytes(20).toString('hex'), description: formatBinding({ kind: 'host', instanceId: id, projectId: project, generation: 1, issuedAt }) });
  }
  const started = performance.now();
  const batches: WriteOp[][] = [];
  for (let i = 0; i < ops.length; i += 100) batches.push(ops.slice(i, i + 100));
  await Promise.all(
    [0, 1, 2, 3].map(async (lane) => {
      for (let b = lane; b < batches.length; b += 4) {
        const results = await directory.write(batches[b]!, Date.now() + 120_000);
        const failed = results.find((r) => !r.ok);
        if (failed && !failed.ok) throw failed.error;
      }
    }),
  );
  t.log(`seeded ${ops.length} hosts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await client.close();
});

test.after.always(async () => {
  await openstack?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface JsonPlan {
  durationMs: number;
  summary: { hosts: number; servers: number; enrolling: number; byKind: Record<string, number> };
  items: { kind: string; fqdn: string; result?: string }[];
}

const resync = async (args: string[]) => {
  const run = await runNovajoin(['resync', '--config', configFile, '--json', ...args], { env: stackEnv(stack), timeoutMs: 600_000 });
  return { ...run, plan: run.stdout ? (JSON.parse(run.stdout) as JsonPlan) : null };
};

test('2,000 servers against 2,000 hosts: the drift and nothing else, then converged', async (t) => {
  t.timeout(600_000);
  const writes = stack.emulator.counters().writes;
  const dry = await resync([]);
  t.is(dry.code, 1, dry.stderr);
  if (!dry.plan) t.log(dry.stderr.slice(-4000));
  t.log(`dry run over ${dry.plan?.summary.servers} servers and ${dry.plan?.summary.hosts} hosts: ${((dry.plan?.durationMs ?? 0) / 1000).toFixed(2)} s`);
  t.like(dry.plan?.summary, { servers: SERVERS, hosts: SERVERS + STALE, enrolling: SERVERS });
  t.like(dry.plan?.summary.byKind, { 'stale-host': STALE, drift: WANT_SERVICE, conflict: 0, 'stale-otp': 0, 'orphan-subhost': 0 });
  t.is(dry.plan?.items.length, STALE + WANT_SERVICE);
  t.is(stack.emulator.counters().writes, writes);
  // The two pages of Nova were listed (limit/marker), not one call per server.
  t.true(openstack.counters.serverLists >= 2);

  const applied = await resync(['--apply']);
  t.is(applied.code, 0, applied.stderr);
  t.log(`--apply of ${applied.plan?.items.length} items: ${((applied.plan?.durationMs ?? 0) / 1000).toFixed(2)} s`);
  t.true(applied.plan?.items.every((i) => i.result === 'applied'));

  const again = await resync([]);
  t.is(again.code, 0, again.stderr);
  t.is(again.plan?.items.length, 0);
  t.like(again.plan?.summary, { hosts: SERVERS });
  t.log(`second run: ${((again.plan?.durationMs ?? 0) / 1000).toFixed(2)} s`);
});
