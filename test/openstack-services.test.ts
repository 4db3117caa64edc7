import test from 'ava';
import { DependencyUnavailable } from '../src/errors.js';
import { UnexpectedResponse } from '../src/openstack/errors.js';
import { GlanceImages } from '../src/openstack/glance.js';
import { KeystoneSession } from '../src/openstack/keystone-session.js';
import { NeutronPorts, isComputePort } from '../src/openstack/neutron.js';
import { NovaServers } from '../src/openstack/nova.js';
import { KeystoneProjects } from '../src/openstack/projects.js';
import { type OpenStackServers, startOpenStack } from './support/openstack-servers.js';

let os: OpenStackServers;
let session: KeystoneSession;
test.before(async () => {
  os = await startOpenStack();
  session = new KeystoneSession({ credentials: os.credentials('novajoin', 'service', 1000), interface: 'internal', regionName: os.region });
});
test.after.always(async () => {
  await os?.stop();
});

test.serial('project names are looked up once, cached, and coalesced; an unknown id is null', async (t) => {
  const projects = new KeystoneProjects({ session });
  const { id } = os.addProject('tenant-a');
  const before = os.counters.projectLookups;
  const names = await Promise.all(Array.from({ length: 10 }, () => projects.projectName(id)));
  t.deepEqual(new Set(names), new Set(['tenant-a']));
  t.is(await projects.projectName(id), 'tenant-a');
  t.is(os.counters.projectLookups, before + 1);
  t.is(await projects.projectName('0000000000000000000000000000dead'), null);
  t.is(await projects.projectName(''), null);
});

test.serial('a project name cache entry expires after its TTL', async (t) => {
  let skew = 0;
  const projects = new KeystoneProjects({ session, ttlMs: 600_000, now: () => Date.now() + skew });
  const { id } = os.addProject('tenant-ttl');
  const before = os.counters.projectLookups;
  await projects.projectName(id);
  skew = 599_000;
  await projects.projectName(id);
  t.is(os.counters.projectLookups, before + 1);
  skew = 601_000;
  await projects.projectName(id);
  t.is(os.counters.projectLookups, before + 2);
});

test.serial('Glance image properties are the custom top-level string keys', async (t) => {
  const images = new GlanceImages(session);
  const id = os.addImage({ name: 'fedora', properties: { ipa_enroll: 'True', os_distro: 'fedora', ipa_hostclass: 'web' } });
  const image = await images.image(id);
  t.is(image?.id, id);
  t.is(image?.name, 'fedora');
  t.is(image?.status, 'active');
  t.deepEqual(image?.properties, { ipa_enroll: 'True', os_distro: 'fedora', ipa_hostclass: 'web' });
});

test.serial('a deleted image is null, and image id "" (boot from volume) makes no call', async (t) => {
  const images = new GlanceImages(session);
  const id = os.addImage({ properties: { ipa_enroll: 'True' } });
  os.removeImage(id);
  t.is(await images.image(id), null);
  const before = os.counters.imageGets;
  t.is(await images.image(''), null);
  t.is(os.counters.imageGets, before);
});

test.serial('Glance down is DependencyUnavailable("glance")', async (t) => {
  const images = new GlanceImages(session);
  const id = os.addImage();
  try {
    await os.setMode('glance', 'error');
    const error = await t.throwsAsync(images.image(id), { instanceOf: DependencyUnavailable });
    t.is(error?.dependency, 'glance');
    await os.setMode('glance', 'hang');
    await t.throwsAsync(images.image(id), { instanceOf: DependencyUnavailable, message: /within 1000 ms/ });
    await os.setMode('glance', 'refuse');
    await t.throwsAsync(images.image(id), { instanceOf: DependencyUnavailable, message: /unreachable/ });
  } finally {
    await os.setMode('glance', 'up');
  }
  t.truthy(await images.image(id));
});

test.serial('Nova: every server of every project, paged with limit and marker', async (t) => {
  const nova = new NovaServers(session);
  const projectIds = [os.addProject('p1').id, os.addProject('p2').id, os.addProject('p3').id];
  const ids = new Set<string>();
  for (let i = 0; i < 2500; i++) {
    ids.add(os.addServer({ name: `vm-${i}`, projectId: projectIds[i % 3]!, metadata: { ipa_enroll: 'True', index: String(i) } }));
  }
  const before = os.counters.serverLists;
  const pages: number[] = [];
  for await (const page of nova.pages({ pageSize: 1000 })) pages.push(page.length);
  t.deepEqual(pages, [1000, 1000, 500]);
  t.is(os.counters.serverLists, before + 3);

  const all = await nova.allServers({ pageSize: 1000 });
  t.is(all.length, 2500);
  t.deepEqual(new Set(all.map((server) => server.id)), ids);
  t.deepEqual(new Set(all.map((server) => server.projectId)), new Set(projectIds));
  t.is(all[7]?.metadata.index, '7');
  for (const id of ids) os.removeServer(id);
});

test.serial('Nova: a page size above max_limit still pages to the end', async (t) => {
  const nova = new NovaServers(session);
  const ids = Array.from({ length: 1200 }, (_, i) => os.addServer({ name: `big-${i}`, projectId: os.projects.demo.id }));
  const before = os.counters.serverLists;
  const all = await nova.allServers({ pageSize: 5000 });
  t.is(all.length, 1200);
  t.is(os.counters.serverLists, before + 2);
  for (const id of ids) os.removeServer(id);
});

test.serial('Nova: a page exactly full ends with one empty page', async (t) => {
  const nova = new NovaServers(session);
  const ids = Array.from({ length: 4 }, (_, i) => os.addServer({ name: `even-${i}`, projectId: os.projects.demo.id }));
  const before = os.counters.serverLists;
  const all = await nova.allServers({ pageSize: 2 });
  t.is(all.length, 4);
  t.is(os.counters.serverLists, before + 3);
  for (const id of ids) os.removeServer(id);
});

test.serial('Nova: one server, with hostname, image, addresses; a missing one is null', async (t) => {
  const nova = new NovaServers(session);
  const imageId = os.addImage();
  const id = os.addServer({
    name: 'Web Server 1',
    hostname: 'web-server-1',
    projectId: os.projects.demo.id,
    metadata: { ipa_enroll: 'True', managed_service_http: 'HTTP/web.example.test' },
    imageId,
    addresses: { private: [{ addr: '10.0.0.5', version: 4 }, { addr: '172.24.4.9', version: 4, type: 'floating' }] },
  });
  const server = await nova.server(id);
  t.deepEqual(server, {
    id,
    name: 'Web Server 1',
    hostname: 'web-server-1',
    projectId: os.projects.demo.id,
    metadata: { ipa_enroll: 'True', managed_service_http: 'HTTP/web.example.test' },
    imageId,
    status: 'ACTIVE',
    addresses: {
      private: [
        { addr: '10.0.0.5', version: 4, type: 'fixed', mac: 'fa:16:3e:00:00:01' },
        { addr: '172.24.4.9', version: 4, type: 'floating', mac: 'fa:16:3e:00:00:01' },
      ],
    },
  });
  const bfv = os.addServer({ name: 'from-volume', projectId: os.projects.demo.id, imageId: '' });
  t.is((await nova.server(bfv))?.imageId, '');
  t.is(await nova.server('00000000-0000-0000-0000-000000000000'), null);
  os.removeServer(id);
  t.is(await nova.server(id), null);
  os.removeServer(bfv);
});

test.serial('Nova without admin rights: listing all projects is a clear 403', async (t) => {
  const demo = new KeystoneSession({ credentials: os.credentials('demo', 'demo') });
  const error = await t.throwsAsync(new NovaServers(demo).allServers(), { instanceOf: UnexpectedResponse });
  t.is(error?.httpStatus, 403);
  t.regex(error?.message ?? '', /admin role/);
});

test.serial('a revoked service token is replaced transparently for Nova, Glance and Neutron', async (t) => {
  const nova = new NovaServers(session);
  const id = os.addServer({ name: 'refresh', projectId: os.projects.demo.id });
  await nova.server(id);
  const issued = os.counters.issued;
  os.revokeTokensOf('novajoin');
  t.is((await nova.server(id))?.name, 'refresh');
  t.is(os.counters.issued, issued + 1);
  os.revokeTokensOf('novajoin');
  t.truthy(await new GlanceImages(session).image(os.addImage()));
  os.revokeTokensOf('novajoin');
  t.is(await new NeutronPorts(session).port('unknown-port'), null);
  t.is(os.counters.issued, issued + 3);
  os.removeServer(id);
});

test.serial('Neutron: a port gives the server it is attached to; an unknown id is null', async (t) => {
  const neutron = new NeutronPorts(session);
  const serverId = os.addServer({ name: 'with-port', projectId: os.projects.demo.id });
  const portId = os.addPort({ deviceId: serverId, projectId: os.projects.demo.id, fixedIps: [{ ipAddress: '10.0.0.7', subnetId: 's1' }] });
  const routerPort = os.addPort({ deviceId: 'router-1', deviceOwner: 'network:router_gateway', projectId: os.projects.demo.id });
  const port = await neutron.port(portId);
  t.is(port?.deviceId, serverId);
  t.is(port?.deviceOwner, 'compute:nova');
  t.is(port?.projectId, os.projects.demo.id);
  t.deepEqual(port?.fixedIps, [{ ipAddress: '10.0.0.7', subnetId: 's1' }]);
  t.true(isComputePort(port!));
  t.false(isComputePort((await neutron.port(routerPort))!));
  t.is(await neutron.port('00000000-0000-0000-0000-00000000beef'), null);
  try {
    await os.setMode('neutron', 'refuse');
    await t.throwsAsync(neutron.port(portId), { instanceOf: DependencyUnavailable, message: /neutron is unreachable/ });
  } finally {
    await os.setMode('neutron', 'up');
  }
});

test.serial('an explicit endpoint wins over the catalog', async (t) => {
  const pointed = new KeystoneSession({ credentials: os.credentials(), endpoints: { image: 'http://127.0.0.1:9/' } });
  await t.throwsAsync(new GlanceImages(pointed).image(os.addImage()), { instanceOf: DependencyUnavailable, message: /127\.0\.0\.1:9\/v2\/images/ });
});
