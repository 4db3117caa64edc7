import test from 'ava';
import { formatBinding, parseBinding } from '../src/domain/binding.js';
import { computeFqdn, projectLabel, validateHostname } from '../src/domain/hostname.js';
import { parseServices, validateMetadata } from '../src/domain/metadata.js';
import { desiredEnrollment, type EnrollmentPolicy } from '../src/domain/model.js';
import { OtpMinter } from '../src/domain/otp.js';
import { planRemovals, planServiceAdds } from '../src/domain/plan.js';
import type { HostState, ReadResult } from '../src/domain/ports.js';
import { InvalidRequest } from '../src/errors.js';

const naming = { domain: 'example.test', projectSubdomain: false, normalizeProject: true, hostnameTemplate: '' };
const policy = (allowedServices: string[] = [], allowedClasses: string[] = []): EnrollmentPolicy => ({
  naming,
  realm: 'EXAMPLE.TEST',
  projects: new Map([['demo', { allowedClasses, allowedServices, allowedServiceDomains: [] }]]),
});
const facts = (metadata: Record<string, string>, hostname = 'web1') => ({
  instanceId: '178b0921-8f85-4257-88b6-2e743b5a975c',
  projectId: 'p1',
  projectName: 'demo',
  hostname,
  metadata,
  imageProperties: { os_distro: 'fedora', os_version: '40' },
});

test('FQDNs follow novajoin: domain, project subdomain, template', (t) => {
  t.is(computeFqdn('web1', { id: 'p1', name: 'Demo Project' }, naming), 'web1.example.test');
  t.is(computeFqdn('web1', { id: 'p1', name: 'Demo Project' }, { ...naming, projectSubdomain: true }), 'web1.demo-project.example.test');
  t.is(computeFqdn('web1', { id: 'P1', name: 'demo' }, { ...naming, hostnameTemplate: '{hostname}-{project_id}.{domain}' }), 'web1-p1.example.test');
  t.is(computeFqdn('web1.example.test', { id: 'p1', name: null }, naming), 'web1.example.test');
  t.is(projectLabel('--Ünïcode  Team--', true), 'n-code-team');
  t.throws(() => computeFqdn('web1', { id: 'p1', name: null }, { ...naming, projectSubdomain: true }), { instanceOf: InvalidRequest });
});

test('hostnames must be DNS labels or names in the domain', (t) => {
  t.is(validateHostname('Web-01', 'example.test'), 'web-01');
  for (const bad of ['', 'web_1', '-web', 'web-', 'a'.repeat(64), 'evil.other.org', 42, null]) {
    const error = t.throws<InvalidRequest>(() => validateHostname(bad, "example.test"), { instanceOf: InvalidRequest });
    t.is(error?.field, 'hostname');
  }
});

test('metadata must be a map of strings, and the bad key is named', (t) => {
  t.deepEqual(validateMetadata({ a: 'b' }), { a: 'b' });
  t.is(t.throws<InvalidRequest>(() => validateMetadata({ ipa_enroll: true }))?.field, 'metadata.ipa_enroll');
  t.throws(() => validateMetadata(['x']), { message: /must be an object of strings/ });
});

test('service metadata: managed, compact and legacy compact forms', (t) => {
  const parsed = parseServices(
    {
      managed_service_haproxy: 'haproxy/cloud.ctlplane.example.test',
      compact_service_HTTP: '["ctlplane", "InternalAPI"]',
      compact_services: '{"mysql": ["internalapi"]}',
      managed_service_bad: 'not a principal',
      managed_service_realm: 'HTTP/x.example.test@OTHER.REALM',
      compact_service_nfs: '{oops',
    },
    { shortName: 'ctl0', domain: 'example.test', realm: 'EXAMPLE.TEST' },
  );
  t.deepEqual(
    parsed.requests.map((r) => `${r.kind} ${r.service}/${r.host}`).sort(),
    ['compact HTTP/ctl0.ctlplane.example.test', 'compact HTTP/ctl0.internalapi.example.test', 'compact mysql/ctl0.internalapi.example.test', 'managed haproxy/cloud.ctlplane.example.test'],
  );
  t.deepEqual(parsed.invalid.map((i) => i.source).sort(), ['compact_service_nfs', 'managed_service_bad', 'managed_service_realm']);
});

test('services are refused unless the project allows them (B4)', (t) => {
  const metadata = { ipa_enroll: 'true', compact_service_HTTP: '["ctlplane"]', managed_service_vip: 'haproxy/vip.example.test' };
  const none = desiredEnrollment(facts(metadata), policy());
  t.is(none.services.length, 0);
  t.is(none.refused.length, 2);
  const some = desiredEnrollment(facts(metadata), policy(['http']));
  t.deepEqual(some.services.map((s) => s.principal), ['HTTP/web1.ctlplane.example.test@EXAMPLE.TEST']);
  const all = desiredEnrollment(facts(metadata), policy(['*']));
  t.is(all.services.length, 2);
  t.deepEqual(all.subhosts.map((s) => [s.fqdn, s.binding.instanceId]), [
    ['web1.ctlplane.example.test', '178b0921-8f85-4257-88b6-2e743b5a975c'],
    ['vip.example.test', null],
  ]);
});

test('host class only when allowed; location and OS version are carried', (t) => {
  const allowed = desiredEnrollment(facts({ ipa_hostclass: 'web', ipa_host_location: 'rack 4' }), policy([], ['web']));
  t.deepEqual(allowed.attributes, { userClass: 'web', location: 'rack 4', osVersion: 'fedora 40' });
  t.is(allowed.refusedHostClass, null);
  const refused = desiredEnrollment(facts({ ipa_hostclass: 'db' }), policy([], ['web']));
  t.is(refused.refusedHostClass, 'db');
  t.is(refused.attributes.userClass, null);
});

test('OTPs are the same for the same host and generation, and differ otherwise', (t) => {
  const secret = Buffer.alloc(48, 7);
  const a = new OtpMinter(secret);
  const b = new OtpMinter(Buffer.from(secret));
  const otp = a.mint('web1.example.test', 'abc', 1);
  t.regex(otp, /^[0-9a-f]{40}$/);
  t.is(b.mint('web1.example.test', 'ABC', 1), otp);
  t.not(a.mint('web1.example.test', 'abc', 2), otp);
  t.not(a.mint('web2.example.test', 'abc', 1), otp);
  t.not(new OtpMinter(Buffer.alloc(48, 8)).mint('web1.example.test', 'abc', 1), otp);
  t.throws(() => new OtpMinter(Buffer.alloc(16)), { message: /at least 32 bytes/ });
});

test('bindings round-trip and foreign descriptions are not bindings', (t) => {
  const host = { kind: 'host', instanceId: 'i-1', projectId: 'p1', generation: 3, issuedAt: 1700000000 } as const;
  t.deepEqual(parseBinding(formatBinding(host)), host);
  const sub = { kind: 'subhost', projectId: 'p1', instanceId: null } as const;
  t.deepEqual(parseBinding([ 'Web server', formatBinding(sub)]), sub);
  t.is(parseBinding('IPA host for OpenStack'), null);
  t.is(parseBinding('novajoin:v1 instance=x gen=1'), null);
});

const host = (fqdn: string, description: string, managedBy: string[] = [fqdn]): HostState => ({
  fqdn, binding: parseBinding(description), hasKeytab: false, hasPassword: true, userClass: [], location: null, osVersion: null, managedBy,
});
const read = (partial: Partial<ReadResult>): ReadResult => ({
  hosts: new Map(), services: new Map(), hostsOfInstance: [], servicesManagedBy: [], recordsWithAddress: [], ...partial,
});
const owner = { instanceId: '178b0921-8f85-4257-88b6-2e743b5a975c', projectId: 'p1' };

test('service adds never touch a host the instance does not own (B4)', (t) => {
  const desired = desiredEnrollment(facts({ managed_service_a: 'HTTP/other.example.test', managed_service_b: 'HTTP/vip.example.test' }), policy(['*']));
  const plan = planServiceAdds(desired, read({
    hosts: new Map([
      ['other.example.test', host('other.example.test', 'novajoin:v1 instance=someone-else project=p1 gen=1 issued=1')],
      ['vip.example.test', null],
    ]),
  }), owner);
  t.deepEqual(plan.refused.map((r) => r.source).sort(), ['managed_service_a', 'other.example.test']);
  t.deepEqual(plan.ops.map((o) => o.op), ['addHost', 'addHostManager', 'addService', 'addServiceHost']);
  t.true(plan.ops.every((o) => !('fqdn' in o) || o.fqdn === 'vip.example.test'));
});

test('removals: only what novajoin made, and shared services keep other managers', (t) => {
  const fqdn = 'web1.example.test';
  const sub = 'web1.ctlplane.example.test';
  const subBinding = `novajoin:v1 subhost project=p1 instance=${owner.instanceId}`;
  const ops = planRemovals(null, read({
    hostsOfInstance: [host(fqdn, `novajoin:v1 instance=${owner.instanceId} project=p1 gen=1 issued=1`), host(sub, subBinding, [sub, fqdn])],
    hosts: new Map([['vip.example.test', host('vip.example.test', 'novajoin:v1 subhost project=p1')]]),
    servicesManagedBy: [
      { principal: `HTTP/${sub}@EXAMPLE.TEST`, managedBy: [sub, fqdn] },
      { principal: 'haproxy/vip.example.test@EXAMPLE.TEST', managedBy: ['vip.example.test', fqdn, 'web2.example.test'] },
      { principal: 'keepalived/vip.example.test@EXAMPLE.TEST', managedBy: ['vip.example.test', fqdn] },
      { principal: 'nfs/admin-made.example.test@EXAMPLE.TEST', managedBy: ['admin-made.example.test', fqdn] },
      { principal: `cifs/${fqdn}@EXAMPLE.TEST`, managedBy: [fqdn] },
    ],
  }), fqdn, owner);
  t.deepEqual(ops, [
    { op: 'removeServiceHost', principal: 'haproxy/vip.example.test@EXAMPLE.TEST', host: fqdn },
    { op: 'deleteService', principal: 'keepalived/vip.example.test@EXAMPLE.TEST' },
    { op: 'deleteHost', fqdn: sub, updateDns: true },
  ]);
});

test("an FQDN hostname is kept only inside the project's own names", async (t) => {
  const { inProjectNamespace } = await import('../src/domain/hostname.js');
  const demo = { id: 'P1', name: 'demo' };
  const sub = { ...naming, projectSubdomain: true };
  t.is(computeFqdn('web.demo.example.test', demo, sub), 'web.demo.example.test');
  t.is(t.throws<InvalidRequest>(() => computeFqdn('web.other.example.test', demo, sub), { instanceOf: InvalidRequest })?.field, 'hostname');
  const dashed = { ...naming, hostnameTemplate: '{hostname}-{project}.{domain}' };
  t.true(inProjectNamespace('web-demo.example.test', demo, dashed));
  t.false(inProjectNamespace('web-other.example.test', demo, dashed));
  const byId = { ...naming, hostnameTemplate: '{hostname}.{project_id}.{domain}' };
  t.true(inProjectNamespace('web.p1.example.test', { id: 'P1', name: null }, byId));
  t.false(inProjectNamespace('web.p2.example.test', { id: 'P1', name: null }, byId));
  t.false(inProjectNamespace('web.demo.example.test', { id: 'P1', name: null }, sub), 'an unknown project name owns nothing');
  t.true(inProjectNamespace('anything.example.test', demo, naming), 'without project names the whole domain is one namespace');
});
