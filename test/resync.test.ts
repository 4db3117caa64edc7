/**
 * `novajoin resync` as an operator runs it (a real subprocess, a join.conf,
 * the real KDC, dirsrv, test FreeIPA server and OpenStack test servers): a
 * seeded drift is reported exactly, a dry run writes nothing, --apply
 * converges through the listener's code, and a second run finds nothing.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JoinService } from '../src/domain/join.js';
import type { EnrollmentPolicy } from '../src/domain/model.js';
import { OtpMinter } from '../src/domain/otp.js';
import { FreeIpaClient } from '../src/freeipa/client.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { silentLogger } from '../src/log/logger.js';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';
import { runNovajoin, stackEnv, writeStackConfig } from './support/novajoin-cli.js';
import { startOpenStack, type OpenStackServers } from './support/openstack-servers.js';

let stack: IpaStack;
let openstack: OpenStackServers;
let dir: string;
let configFile: string;
let client: FreeIpaClient;
let join_: JoinService;
const otp = new OtpMinter(Buffer.from('x'.repeat(48)));
const ids: Record<string, string> = {};
const DAY = 86_400_000;

const policy = (): EnrollmentPolicy => ({
  naming: { domain: 'example.test', projectSubdomain: false, normalizeProject: true, hostnameTemplate: '' },
  realm: 'EXAMPLE.TEST',
  projects: new Map([['demo', { allowedClasses: [], allowedServices: ['*'], allowedServiceDomains: [] }]]),
});

function addServer(key: string, name: string, metadata: Record<string, string>, id: string = randomUUID()): string {
  ids[key] = id;
  openstack.addServer({ id, name, hostname: name, projectId: openstack.projects.demo.id, metadata });
  return id;
}

async function enroll(key: string, name: string, metadata: Record<string, string>, opts: { enrolled?: boolean; now?: number } = {}): Promise<string> {
  const id = addServer(key, name, metadata);
  const service = opts.now === undefined ? join_ : joinAt(opts.now);
  const result = await service.join({ instanceId: id, projectId: openstack.projects.demo.id, imageId: '', hostname: name, metadata }, Date.now() + 20_000);
  if (!('ipaotp' in result.answer) || !result.answer.ipaotp) throw new Error(`join of ${name} gave no OTP (${result.outcome})`);
  if (opts.enrolled ?? true) await stack.emulator.simulateEnrollment(result.answer.hostname, result.answer.ipaotp);
  return id;
}

function joinAt(now: number): JoinService {
  const directory = new FreeIpaDirectory({ client, realm: stack.realm, zone: stack.domain });
  return new JoinService({ directory, images: { imageProperties: async () => null }, projects: { projectName: async () => 'demo' }, otp, policy: policy(), logger: silentLogger(), now: () => now });
}

test.before(async () => {
  stack = await startIpaStack();
  openstack = await startOpenStack();
  dir = await mkdtemp(join(tmpdir(), 'novajoin-resync-test-'));
  configFile = await writeStackConfig({ dir, stack, openstack });
  client = new FreeIpaClient({
    url: stack.url,
    server: stack.serverName,
    caFile: stack.caFile,
    auth: { kind: 'kerberos', keytab: stack.clientKeytab, principal: stack.clientPrincipal },
    apiVersion: '2.230',
    timeoutMs: 20_000,
    retries: 1,
    maxConcurrency: 8,
    lookup: stack.lookup,
  });
  join_ = joinAt(Date.now());

  // In sync: enrolled, with a compact service on its subhost; one waiting for its guest; one not asking.
  await enroll('keep', 'keep', { ipa_enroll: 'True', compact_service_HTTP: '["ctl"]' });
  await enroll('wait', 'wait', { ipa_enroll: 'True' }, { enrolled: false });
  addServer('plain', 'plain', {});
  // Stale: the instance was deleted while no listener ran.
  await enroll('gone', 'gone', { ipa_enroll: 'True' });
  openstack.removeServer(ids['gone']!);
  // Services: HTTP on ctl and mysql on db before; metadata now asks for nfs on ctl and stor.
  const svc = await enroll('svc', 'svc', { ipa_enroll: 'True', compact_service_HTTP: '["ctl"]', compact_service_mysql: '["db"]' });
  openstack.removeServer(svc);
  addServer('svc', 'svc', { ipa_enroll: 'True', compact_service_nfs: '["ctl", "stor"]' }, svc);
  // Conflict: "dup" is bound to a deleted instance, and a new instance asks for the name.
  await enroll('dupOld', 'dup', { ipa_enroll: 'True' });
  openstack.removeServer(ids['dupOld']!);
  addServer('dupNew', 'dup', { ipa_enroll: 'True' });
  // An OTP handed out three days ago and never used.
  await enroll('idle', 'idle', { ipa_enroll: 'True' }, { enrolled: false, now: Date.now() - 3 * DAY });
  // Orphan: the instance and its host are gone, its compact-service subhost is left.
  await enroll('orph', 'orph', { ipa_enroll: 'True', compact_service_HTTP: '["ctl"]' });
  const del = await stack.emulator.rpc('host_del', ['orph.example.test'], {});
  if (del.error) throw new Error(`host_del: ${del.error.message}`);
  openstack.removeServer(ids['orph']!);
});

test.after.always(async () => {
  await client?.close();
  await openstack?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface JsonPlan {
  applied: boolean;
  summary: { hosts: number; servers: number; byKind: Record<string, number> };
  items: { kind: string; fqdn: string; instanceId: string; action: string; changes?: { op: string; principal?: string; fqdn?: string }[]; result?: string; message?: string; wantedBy?: { instanceId: string } }[];
}

const resync = (args: string[]) => runNovajoin(['resync', '--config', configFile, ...args], { env: stackEnv(stack) });

test.serial('dry run reports the seeded drift exactly and writes nothing', async (t) => {
  const before = stack.emulator.counters().writes;
  const run = await resync(['--json']);
  t.is(run.code, 1, run.stderr);
  const plan = JSON.parse(run.stdout) as JsonPlan;
  t.false(plan.applied);
  t.deepEqual(
    plan.items.map((i) => [i.kind, i.fqdn, i.action]),
    [
      ['stale-host', 'gone.example.test', 'delete-host'],
      ['conflict', 'dup.example.test', 'delete-host'],
      ['stale-otp', 'idle.example.test', 'delete-host'],
      ['orphan-subhost', 'orph.ctl.example.test', 'delete-subhost'],
      ['drift', 'svc.example.test', 'update-host'],
    ],
  );
  const byHost = Object.fromEntries(plan.items.map((i) => [i.fqdn, i]));
  t.is(byHost['gone.example.test']?.instanceId, ids['gone']);
  t.is(byHost['dup.example.test']?.instanceId, ids['dupOld']);
  t.is(byHost['dup.example.test']?.wantedBy?.instanceId, ids['dupNew']);
  t.deepEqual(
    byHost['svc.example.test']?.changes?.map((c) => `${c.op} ${c.principal ?? c.fqdn}`).sort(),
    [
      'addHost svc.stor.example.test',
      'addHostManager svc.stor.example.test',
      'addService nfs/svc.ctl.example.test@EXAMPLE.TEST',
      'addService nfs/svc.stor.example.test@EXAMPLE.TEST',
      'addServiceHost nfs/svc.ctl.example.test@EXAMPLE.TEST',
      'addServiceHost nfs/svc.stor.example.test@EXAMPLE.TEST',
      'deleteHost svc.db.example.test',
      'deleteService HTTP/svc.ctl.example.test@EXAMPLE.TEST',
    ],
  );
  t.like(plan.summary, { servers: 6 }); // keep, wait, plain, svc, dup (new), idle
  t.is(stack.emulator.counters().writes, before, 'a dry run changes nothing in FreeIPA');
  t.false(run.stderr.includes('\x1b[2K'), 'no progress bar when stderr is not a terminal');
  t.false(run.stdout.includes(otp.mint('idle.example.test', ids['idle']!, 1)), 'no OTP in the output');

  // The table for people, and narrowing.
  const table = await resync([]);
  t.is(table.code, 1);
  t.regex(table.stdout, /^KIND\s+HOST\s+INSTANCE\s+PROJECT\s+ACTION\s+DETAIL/m);
  t.regex(table.stdout, /Dry run, nothing changed/);
  t.log(`\n${table.stdout}`);
  const one = await resync(['--json', '--host', 'gone.example.test']);
  t.deepEqual((JSON.parse(one.stdout) as JsonPlan).items.map((i) => i.fqdn), ['gone.example.test']);
  const byName = await resync(['--json', '--project', 'demo']);
  t.is((JSON.parse(byName.stdout) as JsonPlan).items.length, 5);
  const other = await resync(['--json', '--project', openstack.projects.admin.id]);
  t.is(other.code, 0);
  t.is(stack.emulator.counters().writes, before);
});

test.serial('--apply converges, and a second run finds nothing', async (t) => {
  const run = await resync(['--apply', '--json']);
  t.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const plan = JSON.parse(run.stdout) as JsonPlan;
  t.true(plan.applied);
  t.deepEqual(plan.items.map((i) => i.result), ['applied', 'applied', 'applied', 'applied', 'applied']);

  for (const fqdn of ['gone.example.test', 'dup.example.test', 'idle.example.test', 'orph.ctl.example.test']) {
    t.is(await stack.emulator.getHost(fqdn), null, `${fqdn} removed`);
  }
  t.is(await stack.emulator.getService('HTTP/orph.ctl.example.test@EXAMPLE.TEST'), null, 'the orphan subhost took its service with it');
  t.not(await stack.emulator.getHost('svc.stor.example.test'), null);
  for (const network of ['ctl', 'stor']) {
    const nfs = await stack.emulator.getService(`nfs/svc.${network}.example.test@EXAMPLE.TEST`);
    t.true((nfs?.attrs['managedby'] ?? []).some((dn) => dn.toLowerCase().startsWith('fqdn=svc.example.test,')), `nfs on ${network} managed by svc`);
  }
  t.is(await stack.emulator.getService('HTTP/svc.ctl.example.test@EXAMPLE.TEST'), null);
  t.is(await stack.emulator.getHost('svc.db.example.test'), null);
  t.is(await stack.emulator.getService('mysql/svc.db.example.test@EXAMPLE.TEST'), null);
  // What was in sync stayed.
  for (const fqdn of ['keep.example.test', 'keep.ctl.example.test', 'wait.example.test', 'svc.example.test']) t.not(await stack.emulator.getHost(fqdn), null, fqdn);
  t.truthy(await stack.emulator.getService('HTTP/keep.ctl.example.test@EXAMPLE.TEST'));

  const writes = stack.emulator.counters().writes;
  const again = await resync(['--apply']);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /In sync/);
  t.is(stack.emulator.counters().writes, writes, 'a second --apply writes nothing');
  const dry = await resync([]);
  t.is(dry.code, 0);
});

test.serial('an unreachable dependency is a failure (exit 1, as every command), not an empty plan', async (t) => {
  await mkdir(join(dir, 'broken'), { recursive: true });
  const broken = await writeStackConfig({ dir: join(dir, 'broken'), stack, openstack, set: { 'ldap.url': 'ldap://127.0.0.1:1', 'ldap.timeout': '2' } });
  const run = await runNovajoin(['resync', '--config', broken, '--apply'], { env: stackEnv(stack) });
  t.is(run.code, 1);
  t.regex(run.stderr, /novajoin resync: .*127\.0\.0\.1:1/);
  t.is(run.stdout, '');
});
