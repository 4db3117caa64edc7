import test from 'ava';
import { DependencyUnavailable } from '../src/errors.js';
import { GlanceImages } from '../src/openstack/glance.js';
import { call, fetchFor, versioned } from '../src/openstack/http.js';
import { KeystoneSession } from '../src/openstack/keystone-session.js';
import { NovaServers } from '../src/openstack/nova.js';
import { SingleFlight } from '../src/openstack/single-flight.js';
import { KeystoneTokenValidator } from '../src/openstack/token-validator.js';
import { TtlCache } from '../src/openstack/ttl-cache.js';
import { type OpenStackServers, startOpenStack } from './support/openstack-servers.js';
import { type TestCa, makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir } from './support/tmp.js';

let dir: string;
let ca: TestCa;
let os: OpenStackServers;
test.before(async () => {
  dir = await makeTempDir('novajoin-openstack-tls-');
  ca = await makeTestCa(dir, ['localhost']);
  os = await startOpenStack({ tls: { certFile: ca.certFile, keyFile: ca.keyFile } });
});
test.after.always(async () => {
  await os?.stop();
  if (dir) await removeDir(dir);
});

test.serial('with [service_credentials] cafile, Keystone, Nova and Glance are reached over verified HTTPS', async (t) => {
  t.true(os.keystoneUrl.startsWith('https://'));
  const session = new KeystoneSession({ credentials: { ...os.credentials(), cafile: ca.caFile } });
  const tokens = new KeystoneTokenValidator({ session, cacheTimeMs: 300_000 });
  t.is((await tokens.validate(os.issueToken('nova', 'service').token)).userName, 'nova');
  const id = os.addServer({ name: 'tls-vm', projectId: os.projects.demo.id });
  t.is((await new NovaServers(session).server(id))?.name, 'tls-vm');
  const image = os.addImage({ properties: { ipa_enroll: 'True' } });
  t.is((await new GlanceImages(session).image(image))?.properties.ipa_enroll, 'True');
});

test.serial('a server certificate from another CA is refused, as DependencyUnavailable', async (t) => {
  const session = new KeystoneSession({ credentials: { ...os.credentials(), cafile: ca.otherCaFile } });
  const error = await t.throwsAsync(session.token(), { instanceOf: DependencyUnavailable });
  t.regex(error?.message ?? '', /keystone is unreachable .*(certificate|CERT|SELF_SIGNED|UNABLE_TO_VERIFY)/i);
});

test.serial('the CA-pinned fetch honours timeouts and maps 5xx like the global fetch', async (t) => {
  const fetch = fetchFor(ca.caFile);
  const url = `${os.keystoneUrl}/auth/tokens`;
  try {
    await os.setMode('keystone', 'hang');
    await t.throwsAsync(call(url, { method: 'GET' }, { dependency: 'keystone', timeoutMs: 200, fetch }), { instanceOf: DependencyUnavailable, message: /within 200 ms/ });
    await os.setMode('keystone', 'error');
    await t.throwsAsync(call(url, { method: 'GET' }, { dependency: 'keystone', timeoutMs: 2000, fetch }), { instanceOf: DependencyUnavailable, message: /HTTP 500/ });
  } finally {
    await os.setMode('keystone', 'up');
  }
  const result = await call(url, { method: 'GET', headers: { 'X-Auth-Token': 'nope' } }, { dependency: 'keystone', timeoutMs: 2000, fetch });
  t.is(result.status, 401);
  t.like(result.body, { error: { code: 401 } });
});

test('versioned adds a version segment only when the URL has none', (t) => {
  t.is(versioned('http://glance:9292', 'v2'), 'http://glance:9292/v2');
  t.is(versioned('http://glance:9292/', 'v2'), 'http://glance:9292/v2');
  t.is(versioned('http://glance:9292/v2', 'v2'), 'http://glance:9292/v2');
  t.is(versioned('http://nova:8774/v2.1/0123abcd', 'v2.1'), 'http://nova:8774/v2.1/0123abcd');
  t.is(versioned('https://cloud/compute/v2.1', 'v2.1'), 'https://cloud/compute/v2.1');
  t.is(versioned('https://cloud/identity', 'v3'), 'https://cloud/identity/v3');
});

test('TtlCache: expiry per entry, least recently used evicted first', (t) => {
  let now = 1000;
  const cache = new TtlCache<string>(2, () => now);
  cache.set('a', 'A', 2000);
  cache.set('b', 'B', 1500);
  t.is(cache.get('a'), 'A');
  cache.set('c', 'C', 3000); // evicts b, the least recently used
  t.is(cache.get('b'), undefined);
  t.is(cache.get('c'), 'C');
  now = 2000;
  t.is(cache.get('a'), undefined, 'an entry is gone at its expiry');
  cache.set('d', 'D', 1999);
  t.is(cache.get('d'), undefined, 'an entry already expired is not stored');
  t.is(cache.size, 1);
});

test('SingleFlight: concurrent callers share one run; a failure is shared, not remembered', async (t) => {
  const flights = new SingleFlight<number>();
  let runs = 0;
  const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(++runs), 20));
  const results = await Promise.all([flights.run('k', slow), flights.run('k', slow), flights.run('other', slow)]);
  t.deepEqual(results.slice(0, 2), [results[0], results[0]]);
  t.is(runs, 2);
  const failing = () => Promise.reject(new Error('boom'));
  const [first, second] = await Promise.allSettled([flights.run('f', failing), flights.run('f', failing)]);
  t.is(first.status, 'rejected');
  t.is(second.status, 'rejected');
  t.is(await flights.run('f', async () => 42), 42);
  t.is(flights.size, 0);
});
