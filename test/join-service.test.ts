/**
 * novajoin-server end to end: real HTTP to the running service, the test
 * FreeIPA server on 389-ds and the KDC, Keystone and Glance test servers.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { parseBinding } from '../src/domain/binding.js';
import type { RunningServer } from '../src/server/start.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';

let env: NovajoinEnv;
let server: RunningServer;
let imageEnroll: string;
let imagePlain: string;

test.before(async () => {
  env = await startNovajoinEnv();
  imageEnroll = env.openstack.addImage({ name: 'fedora-ipa', properties: { ipa_enroll: 'True', os_distro: 'fedora', os_version: '40' } });
  imagePlain = env.openstack.addImage({ name: 'cirros', properties: { os_distro: 'cirros' } });
  const demo = env.openstack.projects.demo.name;
  // Every join here asks FreeIPA; answers from memory (join_cache_ttl) are join-calls.test.ts's.
  // readiness_interval = 0: the readiness test sees FreeIPA go down at once.
  server = await env.startServer(await env.config(`[DEFAULT]\nreadiness_interval = 0\n[${demo}]\nallowed_classes = web\nallowed_services = HTTP, haproxy`, { set: { 'DEFAULT.join_cache_ttl': '0' } }));
});

test.after.always(async () => {
  await env?.stop();
});

const demoProject = () => env.openstack.projects.demo.id;

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'project-id': demoProject(),
    'instance-id': randomUUID(),
    'image-id': imagePlain,
    'user-data': null,
    hostname: `vm-${randomUUID().slice(0, 8)}`,
    metadata: { ipa_enroll: 'True' },
    'boot-roles': 'member,reader',
    ...overrides,
  };
}

async function post(payload: unknown, opts: { token?: string | null; raw?: string; url?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'openstack-nova-vendordata' };
  const token = opts.token === undefined ? env.novaToken() : opts.token;
  if (token) headers['X-Auth-Token'] = token;
  const res = await fetch(`${opts.url ?? server.url}/v1/`, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(payload) });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

const writes = () => env.ipa.emulator.counters().writes;

test.serial('enroll by instance metadata: host created with an OTP and bound to the instance', async (t) => {
  const request = body();
  const res = await post(request);
  t.is(res.status, 200);
  const fqdn = `${request['hostname']}.example.test`;
  t.is(res.body['hostname'], fqdn);
  t.is(res.body['krb_realm'], 'EXAMPLE.TEST');
  t.regex(res.body['ipaotp'], /^[0-9a-f]{40}$/);
  const host = await env.ipa.emulator.getHost(fqdn);
  t.truthy(host);
  const binding = parseBinding(host!.attrs['description'] ?? []);
  t.like(binding, { kind: 'host', instanceId: request['instance-id'], projectId: demoProject(), generation: 1 });
  t.deepEqual(host!.attrs['nsosversion'], ['cirros']);
  t.truthy(res.headers.get('x-openstack-request-id'));
});

test.serial('enroll by image property; an image without it and boot from volume are not enrolled', async (t) => {
  const byImage = await post(body({ 'image-id': imageEnroll, metadata: {} }));
  t.is(byImage.status, 200);
  t.regex(byImage.body['ipaotp'], /^[0-9a-f]{40}$/);

  const before = writes();
  const plain = await post(body({ metadata: {} }));
  t.deepEqual(plain.body, {});
  const glanceBefore = env.openstack.counters.imageGets;
  const volume = await post(body({ 'image-id': '', metadata: {} }));
  t.deepEqual(volume.body, {});
  t.is(env.openstack.counters.imageGets, glanceBefore, 'boot from volume asks Glance nothing');
  const freshImage = env.openstack.addImage({ name: 'fresh', properties: { ipa_enroll: 'True' } });
  const glanceBeforeOptOut = env.openstack.counters.imageGets;
  const optOut = await post(body({ 'image-id': freshImage, metadata: { ipa_enroll: 'false' } }));
  t.deepEqual(optOut.body, {}, 'the instance saying false wins over the image');
  t.is(env.openstack.counters.imageGets, glanceBeforeOptOut, 'and Glance is not asked');
  t.is(writes(), before, 'nothing written to FreeIPA');
});

test.serial('ten repeat calls: one OTP, one FreeIPA write in all (B1)', async (t) => {
  const request = body();
  env.ipa.emulator.resetCounters();
  const first = await post(request);
  t.is(writes(), 1);
  const roundTripsFirst = env.ipa.emulator.counters().roundTrips;
  t.true(roundTripsFirst <= 2, `first join took ${roundTripsFirst} round trips`);
  for (let i = 0; i < 9; i++) {
    const again = await post(request);
    t.is(again.body['ipaotp'], first.body['ipaotp']);
  }
  t.is(writes(), 1, 'repeat calls write nothing');
});

test.serial('concurrent identical calls (a config drive build) give one OTP and one write', async (t) => {
  const request = body();
  env.ipa.emulator.resetCounters();
  const answers = await Promise.all(Array.from({ length: 5 }, () => post(request)));
  t.is(new Set(answers.map((a) => a.body['ipaotp'])).size, 1);
  t.is(writes(), 1);
});

test.serial('two servers sharing only FreeIPA and the secret, and a restarted one, answer the same OTP', async (t) => {
  const request = body();
  const first = await post(request);
  const other = await env.startServer(await env.config());
  const fromOther = await post(request, { url: other.url });
  t.is(fromOther.body['ipaotp'], first.body['ipaotp']);
  await other.close();
  const restarted = await env.startServer(await env.config());
  t.is((await post(request, { url: restarted.url })).body['ipaotp'], first.body['ipaotp']);
  await restarted.close();
});

test.serial('after the guest enrolls: no OTP; after a rebuild disables the host: a new, different OTP (B3)', async (t) => {
  const request = body();
  const fqdn = `${request['hostname']}.example.test`;
  const first = await post(request);
  await env.ipa.emulator.simulateEnrollment(fqdn, first.body['ipaotp']);
  const enrolled = await post(request);
  t.is(enrolled.status, 200);
  t.deepEqual(enrolled.body, { hostname: fqdn, krb_realm: 'EXAMPLE.TEST' });

  const disabled = await env.ipa.emulator.rpc('host_disable', [fqdn], { version: '2.230' }, env.ipa.clientPrincipal);
  t.is(disabled.error, null);
  const reissued = await post(request);
  t.regex(reissued.body['ipaotp'], /^[0-9a-f]{40}$/);
  t.not(reissued.body['ipaotp'], first.body['ipaotp']);
  t.is(parseBinding((await env.ipa.emulator.getHost(fqdn))!.attrs['description'] ?? [])?.kind, 'host');
  t.is((await post(request)).body['ipaotp'], reissued.body['ipaotp'], 'and it is stable again');
  await t.notThrowsAsync(env.ipa.emulator.simulateEnrollment(fqdn, reissued.body['ipaotp']));
});

test.serial('the same name from another instance is a conflict: 409, no OTP, the first host untouched (B2)', async (t) => {
  const request = body();
  const fqdn = `${request['hostname']}.example.test`;
  await post(request);
  const before = await env.ipa.emulator.getHost(fqdn);
  const writesBefore = writes();
  const intruder = await post({ ...request, 'instance-id': randomUUID() });
  t.is(intruder.status, 409);
  t.is(intruder.body['error']?.title, 'host_conflict');
  t.false('ipaotp' in intruder.body);
  t.deepEqual(await env.ipa.emulator.getHost(fqdn), before);
  t.is(writes(), writesBefore);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.regex(metrics, /novajoin_host_conflicts_total 1/);
});

test.serial('a host novajoin did not create is never taken over', async (t) => {
  const name = `admin-made-${randomUUID().slice(0, 6)}`;
  const add = await env.ipa.emulator.rpc('host_add', [`${name}.example.test`], { force: true, description: 'made by an admin', version: '2.230' }, env.ipa.clientPrincipal);
  t.is(add.error, null);
  const res = await post(body({ hostname: name }));
  t.is(res.status, 409);
});

test.serial('services and subhosts with managed-by links, only where the project allows (B4)', async (t) => {
  const request = body({
    metadata: {
      ipa_enroll: 'true',
      compact_service_HTTP: '["ctlplane", "internalapi"]',
      managed_service_haproxy: 'haproxy/vip-demo.example.test',
      managed_service_nfs: 'nfs/vip-demo.example.test',
    },
  });
  const fqdn = `${request['hostname']}.example.test`;
  const res = await post(request);
  t.is(res.status, 200);
  for (const net of ['ctlplane', 'internalapi']) {
    const sub = `${request['hostname']}.${net}.example.test`;
    const subhost = await env.ipa.emulator.getHost(sub);
    t.truthy(subhost, `${sub} created`);
    const service = await env.ipa.emulator.getService(`HTTP/${sub}@EXAMPLE.TEST`);
    t.truthy(service);
    t.true((service!.attrs['managedby'] ?? []).some((dn) => dn.startsWith(`fqdn=${fqdn},`)), 'service managed by the instance host');
    t.true((subhost!.attrs['managedby'] ?? []).some((dn) => dn.startsWith(`fqdn=${fqdn},`)), 'subhost managed by the instance host');
  }
  t.truthy(await env.ipa.emulator.getService('haproxy/vip-demo.example.test@EXAMPLE.TEST'));
  t.is(await env.ipa.emulator.getService('nfs/vip-demo.example.test@EXAMPLE.TEST'), null, 'nfs is not in allowed_services');

  const admin = env.openstack.projects.admin.id;
  const refused = await post(body({ 'project-id': admin, metadata: { ipa_enroll: 'true', compact_service_HTTP: '["ctlplane"]' } }));
  t.is(refused.status, 200, 'the host is still enrolled');
  t.is(await env.ipa.emulator.getHost(`${refused.body['hostname'].split('.')[0]}.ctlplane.example.test`), null, 'a project without allowed_services gets none');
});

test.serial('a service on a host owned by another instance is refused', async (t) => {
  const victim = body();
  await post(victim);
  const victimFqdn = `${victim['hostname']}.example.test`;
  const attacker = body({ metadata: { ipa_enroll: 'true', managed_service_x: `HTTP/${victimFqdn}` } });
  const res = await post(attacker);
  t.is(res.status, 200);
  t.is(await env.ipa.emulator.getService(`HTTP/${victimFqdn}@EXAMPLE.TEST`), null);
});

test.serial('host class: allowed is set, not allowed is 403 and nothing is written', async (t) => {
  const ok = body({ metadata: { ipa_enroll: 'true', ipa_hostclass: 'web', ipa_host_location: 'rack-4' } });
  t.is((await post(ok)).status, 200);
  const host = await env.ipa.emulator.getHost(`${ok['hostname']}.example.test`);
  t.deepEqual(host!.attrs['userclass'], ['web']);
  t.deepEqual(host!.attrs['nshostlocation'], ['rack-4']);
  const before = writes();
  const denied = await post(body({ metadata: { ipa_enroll: 'true', ipa_hostclass: 'db' } }));
  t.is(denied.status, 403);
  t.regex(denied.body['error'].message, /host class "db" is not allowed/);
  t.is(writes(), before);
});

test.serial('authentication and policy: 401 without or with a bad token, 403 for a user the policy denies', async (t) => {
  const before = writes();
  const none = await post(body(), { token: null });
  t.is(none.status, 401);
  t.truthy(none.headers.get('www-authenticate'));
  t.is((await post(body(), { token: 'gAAAAA-not-a-real-token' })).status, 401);
  const revoked = env.novaToken();
  env.openstack.revokeToken(revoked);
  t.is((await post(body(), { token: revoked })).status, 401);
  const demoToken = env.openstack.issueToken('demo', 'demo').token;
  const denied = await post(body(), { token: demoToken });
  t.is(denied.status, 403);
  t.is(writes(), before);
});

test.serial('Keystone down: 503, and nothing is written', async (t) => {
  const before = writes();
  await env.openstack.setMode('keystone', 'refuse');
  try {
    const res = await post(body(), { token: env.openstack.issueToken('nova', 'service').token });
    t.is(res.status, 503);
    t.regex(res.body['error'].message, /keystone/i);
  } finally {
    await env.openstack.setMode('keystone', 'up');
  }
  t.is(writes(), before);
});

const badRequests: Array<[string, unknown, string | undefined, RegExp]> = [
  ['malformed JSON', '{"project-id": ', undefined, /not valid JSON/],
  ['not an object', '[1,2]', undefined, /must be a JSON object/],
  ['missing hostname', { hostname: undefined }, 'hostname', /hostname is required/],
  ['hostname not a DNS label', { hostname: 'bad_name!' }, 'hostname', /not a DNS label/],
  ['over-long hostname', { hostname: 'a'.repeat(64) }, 'hostname', /longer than 63/],
  ['hostname in another domain', { hostname: 'evil.example.org' }, 'hostname', /single DNS label or a name in the domain/],
  ['metadata not a string map', { metadata: { ipa_enroll: true } }, 'metadata.ipa_enroll', /must be a string/],
  ['metadata not an object', { metadata: ['ipa_enroll'] }, 'metadata', /must be an object of strings/],
  ['missing instance-id', { 'instance-id': undefined }, 'instance-id', /instance-id is required/],
  ['missing image-id', { 'image-id': undefined }, 'image-id', /image-id is required/],
  ['a key twice (JSON.parse would keep the last)', '{"project-id": "p", "instance-id": "i", "image-id": "", "hostname": "vm-a", "hostname": "vm-b", "metadata": {"ipa_enroll": "True"}}', 'hostname', /has the key "hostname" twice/],
  ['a metadata key twice', '{"project-id": "p", "instance-id": "i", "image-id": "", "hostname": "vm-a", "metadata": {"ipa_enroll": "False", "ipa_enroll": "True"}}', 'metadata.ipa_enroll', /has the key "metadata.ipa_enroll" twice/],
];
for (const [what, change, field, message] of badRequests) {
  test.serial(`bad input (${what}): 400 naming the field, FreeIPA untouched`, async (t) => {
    const before = writes();
    const raw = typeof change === 'string' ? change : JSON.stringify(body(change as Record<string, unknown>));
    const res = await post(null, { raw });
    t.is(res.status, 400);
    t.regex(res.body['error'].message, message);
    if (field) t.is(res.body['error'].field, field);
    t.is(writes(), before);
  });
}

test.serial('an FQDN longer than FreeIPA\'s ipamaxhostnamelength (64) is refused by novajoin, naming the limit, with no FreeIPA call', async (t) => {
  // 51 + ".example.test" is exactly 64: FreeIPA takes it.
  const longest = await post(body({ hostname: `h${randomUUID().replaceAll('-', '').slice(0, 8)}${'a'.repeat(42)}` }));
  t.is(longest.status, 200, JSON.stringify(longest.body));
  t.is(longest.body['hostname'].length, 64);

  const requests = env.ipa.emulator.counters().requests;
  const before = writes();
  const res = await post(body({ hostname: 'a'.repeat(52) }));
  t.is(res.status, 400);
  t.is(res.body['error'].field, 'hostname');
  t.regex(res.body['error'].message, /is 65 characters; FreeIPA accepts at most 64/);
  t.is(env.ipa.emulator.counters().requests, requests, 'nothing sent to FreeIPA');
  t.is(writes(), before);
});

test.serial("the exact body Nova 26 sends is accepted as is", async (t) => {
  const raw =
    '{"project-id": "' + demoProject() + '", "instance-id": "178b0921-8f85-4257-88b6-2e743b5a975c", "image-id": "' + imagePlain +
    '", "user-data": "I2Nsb3VkLWNvbmZpZwo=", "hostname": "some-server", "metadata": {"ipa_enroll": "True"}, "boot-roles": "member,reader"}';
  const res = await post(null, { raw });
  t.is(res.status, 200);
  t.is(res.body['hostname'], 'some-server.example.test');
  t.regex(res.body['ipaotp'], /^[0-9a-f]{40}$/);
});

test.serial('readiness, health and metrics', async (t) => {
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  const ready = await fetch(`${server.url}/readyz`);
  t.is(ready.status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.regex(metrics, /novajoin_join_requests_total\{outcome="created"\} \d+/);
  t.regex(metrics, /^# TYPE novajoin_freeipa_round_trips_total counter$/m);
  t.regex(metrics, /^novajoin_freeipa_round_trips_total [1-9]\d*$/m);
  // Node's process metrics, from prom-client's default collectors.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
    t.regex(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  // Every family says what it means, in words an operator reads: no design-document labels.
  const helps = [...metrics.matchAll(/^# HELP (\S+) (.*)$/gm)];
  t.true(helps.length > 10);
  for (const [, name, help] of helps) t.notRegex(help ?? '', /\bB\d\b|^\s*$/, name);
  await env.ipa.emulator.setMode('refuse');
  try {
    t.is((await fetch(`${server.url}/readyz`)).status, 503);
  } finally {
    await env.ipa.emulator.setMode('up');
  }
});

test.serial('an over-large body is refused with 413 before anything else', async (t) => {
  const res = await post(null, { raw: JSON.stringify(body({ 'user-data': 'A'.repeat(300_000) })) });
  t.is(res.status, 413);
  t.regex(res.body['error'].message, /larger than 262144 bytes/);
});

test.serial('FreeIPA down: 503 that names the dependency and nothing internal', async (t) => {
  await env.ipa.emulator.setMode('refuse');
  try {
    const res = await post(body());
    t.is(res.status, 503);
    t.is(res.body['error'].message, 'FreeIPA is unavailable');
    t.false(JSON.stringify(res.body).includes('ECONNREFUSED'));
    t.false(JSON.stringify(res.body).includes('/src/'));
  } finally {
    await env.ipa.emulator.setMode('up');
  }
});
