/**
 * The resync plan as a pure function: each kind of drift from a hand-built
 * inventory and Nova listing, and no item when the two agree.
 */
import test from 'ava';
import { formatBinding } from '../src/domain/binding.js';
import type { EnrollmentPolicy } from '../src/domain/model.js';
import type { HostRecord, ServiceRecord } from '../src/freeipa/ldap-inventory.js';
import { hostFromRecord, readActual, serviceFromRecord, type ActualState } from '../src/resync/actual.js';
import { buildPlan, staleOtpCandidates } from '../src/resync/build-plan.js';
import type { DesiredState, ServerFacts } from '../src/resync/desired.js';
import { narrow } from '../src/resync/run.js';
import { terminalProgress } from '../src/resync/progress.js';
import { planToJson, renderTable } from '../src/resync/render.js';
import type { Server } from '../src/openstack/nova.js';

const SUFFIX = 'dc=example,dc=test';
const policy: EnrollmentPolicy = {
  naming: { domain: 'example.test', projectSubdomain: false, normalizeProject: true, hostnameTemplate: '' },
  realm: 'EXAMPLE.TEST',
  projects: new Map([['demo', { allowedClasses: [], allowedServices: ['*'], allowedServiceDomains: [] }]]),
};
const NOW = Date.parse('2024-06-01T00:00:00Z');
const DAY = 86_400_000;
const hostDn = (fqdn: string) => `fqdn=${fqdn},cn=computers,cn=accounts,${SUFFIX}`;

function hostRecord(fqdn: string, description: string, o: { enrolled?: boolean; principal?: boolean; managers?: string[] } = {}): HostRecord {
  const enrolled = o.enrolled ?? true;
  return {
    dn: hostDn(fqdn),
    fqdn,
    description: [description],
    userClass: [],
    nsHostLocation: null,
    krbPrincipalName: enrolled || o.principal ? [`host/${fqdn}@EXAMPLE.TEST`] : [],
    krbLastPwdChange: enrolled ? '20240101000000Z' : null,
    managedBy: [hostDn(fqdn), ...(o.managers ?? []).map(hostDn)],
  };
}
const serviceRecord = (principal: string, managers: string[]): ServiceRecord => ({
  dn: `krbprincipalname=${principal},cn=services,cn=accounts,${SUFFIX}`,
  principal,
  managedBy: managers.map(hostDn),
});
const hostBinding = (instanceId: string, projectId = 'p1', issuedAt = NOW / 1000 - 60) =>
  formatBinding({ kind: 'host', instanceId, projectId, generation: 1, issuedAt });

function server(id: string, name: string, metadata: Record<string, string> = { ipa_enroll: 'True' }, projectId = 'p1'): ServerFacts {
  const s: Server = { id, name, hostname: name, projectId, metadata, imageId: '', status: 'ACTIVE', addresses: {} };
  return { server: s, imageProperties: null, projectName: 'demo', asksToEnroll: metadata['ipa_enroll']?.toLowerCase() === 'true' };
}

async function actualOf(hosts: HostRecord[], services: ServiceRecord[]): Promise<ActualState> {
  return readActual({
    async *hosts() {
      yield* hosts;
    },
    async *services() {
      yield* services;
    },
  });
}
const desiredOf = (servers: ServerFacts[]): DesiredState => ({ servers: new Map(servers.map((s) => [s.server.id, s])) });

const I = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

test('hosts and servers that agree give an empty plan', async (t) => {
  const actual = await actualOf(
    [hostRecord('web1.example.test', hostBinding(I(1))), hostRecord('web1.ctl.example.test', formatBinding({ kind: 'subhost', projectId: 'p1', instanceId: I(1) }), { enrolled: false, principal: true, managers: ['web1.example.test'] })],
    [serviceRecord('HTTP/web1.ctl.example.test@EXAMPLE.TEST', ['web1.ctl.example.test', 'web1.example.test'])],
  );
  const desired = desiredOf([server(I(1), 'web1', { ipa_enroll: 'True', compact_service_HTTP: '["ctl"]' }), server(I(2), 'other', {})]);
  const plan = buildPlan(actual, desired, { policy, now: NOW, staleOtpAgeMs: DAY });
  t.deepEqual(plan.items, []);
  t.like(plan.summary, { hosts: 1, subhosts: 1, servers: 2, enrolling: 1, notEnrolled: 0 });
  t.regex(renderTable({ plan, applied: false, durationMs: 5 }), /In sync/);
});

test('every kind of drift is found, once each', async (t) => {
  const actual = await actualOf(
    [
      hostRecord('gone.example.test', hostBinding(I(10))), // instance gone
      hostRecord('taken.example.test', hostBinding(I(11))), // holder gone, name wanted by I(20)
      hostRecord('live.example.test', hostBinding(I(12))), // holder alive, name also wanted by I(21)
      hostRecord('idle.example.test', hostBinding(I(13), 'p1', NOW / 1000 - 3 * 86400), { enrolled: false }), // old OTP
      hostRecord('fresh.example.test', hostBinding(I(14), 'p1', NOW / 1000 - 600), { enrolled: false }), // recent OTP
      hostRecord('svc.example.test', hostBinding(I(15))), // wants HTTP, has nfs
      hostRecord('svc.ctl.example.test', formatBinding({ kind: 'subhost', projectId: 'p1', instanceId: I(15) }), { enrolled: false, principal: true, managers: ['svc.example.test'] }),
      hostRecord('lost.ctl.example.test', formatBinding({ kind: 'subhost', projectId: 'p1', instanceId: I(16) }), { enrolled: false, principal: true }),
      hostRecord('foreign.example.test', 'made by hand'),
    ],
    [serviceRecord('nfs/svc.ctl.example.test@EXAMPLE.TEST', ['svc.ctl.example.test', 'svc.example.test'])],
  );
  const desired = desiredOf([
    server(I(12), 'live'),
    server(I(13), 'idle'),
    server(I(14), 'fresh'),
    server(I(15), 'svc', { ipa_enroll: 'True', compact_service_HTTP: '["ctl"]' }),
    server(I(20), 'taken'),
    server(I(21), 'live'),
  ]);
  const plan = buildPlan(actual, desired, { policy, now: NOW, staleOtpAgeMs: DAY });
  const byHost = Object.fromEntries(plan.items.map((i) => [i.fqdn, i]));
  t.deepEqual(
    plan.items.map((i) => [i.kind, i.fqdn, i.action]),
    [
      ['stale-host', 'gone.example.test', 'delete-host'],
      ['conflict', 'live.example.test', 'none'],
      ['conflict', 'taken.example.test', 'delete-host'],
      ['stale-otp', 'idle.example.test', 'delete-host'],
      ['orphan-subhost', 'lost.ctl.example.test', 'delete-subhost'],
      ['drift', 'svc.example.test', 'update-host'],
    ],
  );
  t.like(byHost['taken.example.test'], { instanceId: I(11), wantedBy: { instanceId: I(20) }, holderExists: false });
  t.like(byHost['live.example.test'], { instanceId: I(12), wantedBy: { instanceId: I(21) }, holderExists: true });
  const drift = byHost['svc.example.test'];
  t.is(drift?.kind, 'drift');
  if (drift?.kind === 'drift') {
    t.deepEqual(drift.changes.map((c) => c.op).sort(), ['addService', 'addServiceHost', 'deleteService']);
    t.regex(drift.detail, /\+service HTTP\/svc\.ctl\.example\.test@EXAMPLE\.TEST/);
    t.regex(drift.detail, /-service nfs\/svc\.ctl\.example\.test@EXAMPLE\.TEST/);
  }
  t.like(plan.summary.byKind, { 'stale-host': 1, conflict: 2, 'stale-otp': 1, 'orphan-subhost': 1, drift: 1 });

  // The table and the JSON carry the same items; narrowing keeps only what matches.
  const table = renderTable({ plan, applied: false, durationMs: 12 });
  for (const item of plan.items) t.true(table.includes(item.fqdn));
  t.regex(table, /Dry run, nothing changed/);
  const json = planToJson({ plan, applied: false, durationMs: 12 }) as { items: { fqdn: string }[] };
  t.deepEqual(json.items.map((i) => i.fqdn), plan.items.map((i) => i.fqdn));
  t.deepEqual(narrow(plan, undefined, 'gone').items.map((i) => i.fqdn), ['gone.example.test']);
  t.deepEqual(narrow(plan, 'p2', undefined).items, []);
});

test('a re-issued OTP is stale only when FreeIPA says a password is still set', async (t) => {
  // Enrolled once (principal name), disabled after a rebuild, then no keys:
  // the inventory cannot tell "waiting with a new OTP" from "disabled".
  const old = NOW / 1000 - 5 * 86400;
  const actual = await actualOf([hostRecord('rebuilt.example.test', hostBinding(I(30), 'p1', old), { enrolled: false, principal: true })], []);
  const desired = desiredOf([server(I(30), 'rebuilt')]);
  t.deepEqual(staleOtpCandidates(actual, desired, { now: NOW, staleOtpAgeMs: DAY }), ['rebuilt.example.test']);
  t.deepEqual(buildPlan(actual, desired, { policy, now: NOW, staleOtpAgeMs: DAY }).items, []);
  const confirmed = buildPlan(actual, desired, { policy, now: NOW, staleOtpAgeMs: DAY, hasPassword: new Map([['rebuilt.example.test', true]]) });
  t.deepEqual(confirmed.items.map((i) => i.kind), ['stale-otp']);
});

test('hosts bound to an instance Nova lists in another project are reported, never changed', async (t) => {
  const actual = await actualOf([hostRecord('moved.example.test', hostBinding(I(40), 'p1'))], []);
  const plan = buildPlan(actual, desiredOf([server(I(40), 'moved', { ipa_enroll: 'True' }, 'p2')]), { policy, now: NOW, staleOtpAgeMs: DAY });
  t.deepEqual(plan.items.map((i) => [i.kind, i.action]), [['conflict', 'none']]);
});

test('a server whose hostname cannot be a DNS name is skipped with the reason', async (t) => {
  const plan = buildPlan(await actualOf([], []), desiredOf([server(I(50), 'bad_name')]), { policy, now: NOW, staleOtpAgeMs: DAY });
  t.deepEqual(plan.items, []);
  t.is(plan.skipped.length, 1);
  t.regex(plan.skipped[0]!.reason, /not a DNS label/);
});

test('inventory records become domain host states', (t) => {
  const host = hostFromRecord(hostRecord('a.example.test', hostBinding(I(1)), { managers: ['b.example.test'] }));
  t.deepEqual(host.managedBy, ['a.example.test', 'b.example.test']);
  t.true(host.hasKeytab);
  t.like(host.binding, { kind: 'host', instanceId: I(1) });
  const waiting = hostFromRecord(hostRecord('w.example.test', hostBinding(I(2)), { enrolled: false }));
  t.true(waiting.hasPassword && waiting.neverEnrolled && !waiting.hasKeytab);
  t.deepEqual(serviceFromRecord(serviceRecord('HTTP/a.example.test@EXAMPLE.TEST', ['a.example.test'])).managedBy, ['a.example.test']);
});

test('the progress bar draws on a terminal only, and clears its line', (t) => {
  const written: string[] = [];
  const fake = (isTTY: boolean) => ({ isTTY, columns: 80, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
  const quiet = terminalProgress(fake(false), 0);
  quiet.update('Nova servers', 10, 100);
  quiet.done();
  t.deepEqual(written, []);
  const bar = terminalProgress(fake(true), 0);
  bar.update('applying', 5, 10);
  bar.update('FreeIPA hosts', 300);
  bar.done();
  t.regex(written[0]!, /^\r\x1b\[2Kapplying \[#+-+\] 5\/10$/);
  t.is(written[1], '\r\x1b[2KFreeIPA hosts 300');
  t.is(written[2], '\r\x1b[2K');
});
