import { PassThrough } from 'node:stream';
import test from 'ava';
import { DependencyUnavailable, Unauthorized } from '../src/errors.js';
import { createLogger } from '../src/log/logger.js';
import { findEndpoint, parseCatalog } from '../src/openstack/catalog.js';
import { EndpointNotFound, ServiceCredentialsRefused, UnexpectedResponse } from '../src/openstack/errors.js';
import { KeystoneSession, passwordAuthBody } from '../src/openstack/keystone-session.js';
import { KeystoneTokenValidator } from '../src/openstack/token-validator.js';
import { type OpenStackServers, startOpenStack } from './support/openstack-servers.js';

let os: OpenStackServers;
test.before(async () => {
  os = await startOpenStack();
});
test.after.always(async () => {
  await os?.stop();
});

function validator(options: { cacheTimeMs?: number; maxEntries?: number; timeoutMs?: number; user?: 'novajoin' | 'demo'; project?: string; now?: () => number } = {}) {
  const session = new KeystoneSession({ credentials: os.credentials(options.user ?? 'novajoin', options.project ?? 'service', options.timeoutMs ?? 2000) });
  const tokens = new KeystoneTokenValidator({
    session,
    cacheTimeMs: options.cacheTimeMs ?? 300_000,
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    ...(options.now ? { now: options.now } : {}),
  });
  return { session, tokens };
}

// These tests switch the shared servers' modes, so they run one at a time.
test.serial('a valid token gives the caller as Keystone describes it', async (t) => {
  const { tokens } = validator();
  const { token, expiresAt } = os.issueToken('nova', 'service');
  const caller = await tokens.validate(`  ${token}\n`);
  t.is(caller.userName, 'nova');
  t.is(caller.userId, os.users.nova.id);
  t.is(caller.userDomainId, 'default');
  t.is(caller.projectName, 'service');
  t.is(caller.projectId, os.projects.service.id);
  t.is(caller.projectDomainId, 'default');
  t.deepEqual([...caller.roles].sort(), ['admin', 'service']);
  t.true(caller.isAdminProject);
  t.is(caller.expiresAt, expiresAt);
});

test.serial('an unknown, revoked or malformed token is Unauthorized', async (t) => {
  const { tokens } = validator();
  await t.throwsAsync(tokens.validate('gAAAAABnot-a-token-keystone-ever-issued'), { instanceOf: Unauthorized });
  const { token } = os.issueToken('demo', 'demo');
  os.revokeToken(token);
  await t.throwsAsync(tokens.validate(token), { instanceOf: Unauthorized });
  await t.throwsAsync(tokens.validate(''), { instanceOf: Unauthorized });
  await t.throwsAsync(tokens.validate('two words'), { instanceOf: Unauthorized });
});

test.serial('a token Keystone calls valid but that has expired by our clock is Unauthorized', async (t) => {
  const { tokens } = validator({ now: () => Date.now() + 2 * 3_600_000 });
  const { token } = os.issueToken('nova', 'service');
  const before = os.counters.validations;
  await t.throwsAsync(tokens.validate(token), { instanceOf: Unauthorized });
  t.is(os.counters.validations, before + 1);
});

test.serial('a cached token makes no second Keystone call, and concurrent validations share one', async (t) => {
  const { tokens } = validator();
  const { token } = os.issueToken('nova', 'service');
  const before = os.counters.validations;
  const callers = await Promise.all(Array.from({ length: 20 }, () => tokens.validate(token)));
  t.true(callers.every((caller) => caller.userName === 'nova'));
  t.is(os.counters.validations, before + 1);
  await tokens.validate(token);
  t.is(os.counters.validations, before + 1);
});

test.serial('the cache never outlives the token: an expired token is refused on the next call', async (t) => {
  const { tokens } = validator();
  const { token } = os.issueToken('nova', 'service', { ttlMs: 3000 });
  t.is((await tokens.validate(token)).userName, 'nova');
  t.is(tokens.cached(token)?.userName, 'nova', 'served from the cache without a call while valid');
  await new Promise((resolve) => setTimeout(resolve, 3200));
  t.is(tokens.cached(token), null, 'the synchronous cache read refuses it too');
  const before = os.counters.validations;
  await t.throwsAsync(tokens.validate(token), { instanceOf: Unauthorized });
  t.is(os.counters.validations, before + 1, 'the expired entry is not served from the cache');
});

test.serial('token_cache_time -1 disables the cache', async (t) => {
  const { tokens } = validator({ cacheTimeMs: -1000 });
  const { token } = os.issueToken('nova', 'service');
  const before = os.counters.validations;
  await tokens.validate(token);
  await tokens.validate(token);
  t.is(os.counters.validations, before + 2);
});

test.serial('the cache is bounded: the least recently used token is evicted', async (t) => {
  const { tokens } = validator({ maxEntries: 2 });
  const [a, b, c] = [1, 2, 3].map(() => os.issueToken('nova', 'service').token) as [string, string, string];
  const before = os.counters.validations;
  await tokens.validate(a);
  await tokens.validate(b);
  await tokens.validate(a); // a is now the most recent
  await tokens.validate(c); // evicts b
  t.is(os.counters.validations, before + 3);
  await tokens.validate(a);
  t.is(os.counters.validations, before + 3);
  await tokens.validate(b);
  t.is(os.counters.validations, before + 4);
});

test.serial('our own token is replaced once after Keystone answers 401, and the validation succeeds', async (t) => {
  const { tokens } = validator();
  await tokens.validate(os.issueToken('nova', 'service').token);
  const issued = os.counters.issued;
  os.revokeTokensOf('novajoin');
  const caller = await tokens.validate(os.issueToken('nova', 'service').token);
  t.is(caller.userName, 'nova');
  t.is(os.counters.issued, issued + 2, 'one token for the test caller, one new service token');
});

test.serial('wrong service credentials are refused with a typed error', async (t) => {
  const session = new KeystoneSession({ credentials: { ...os.credentials(), password: 'wrong' } });
  const tokens = new KeystoneTokenValidator({ session, cacheTimeMs: 300_000 });
  const error = await t.throwsAsync(tokens.validate(os.issueToken('nova', 'service').token), { instanceOf: ServiceCredentialsRefused });
  t.true(error instanceof DependencyUnavailable);
  t.is(error?.status, 503);
  t.regex(error?.message ?? '', /refused the service credentials of user "novajoin"/);
  t.notRegex(error?.message ?? '', /wrong/);
});

test.serial('a validating user without the service or admin role gets a 503, not a 401 for the caller', async (t) => {
  const { tokens } = validator({ user: 'demo', project: 'demo' });
  await t.throwsAsync(tokens.validate(os.issueToken('nova', 'service').token), { instanceOf: UnexpectedResponse, message: /403/ });
});

test.serial('Keystone refusing connections, failing or hanging is DependencyUnavailable, and failures are not cached', async (t) => {
  const { session, tokens } = validator({ timeoutMs: 1_000 });
  await session.token();
  const { token } = os.issueToken('nova', 'service');
  try {
    await os.setMode('keystone', 'refuse');
    const refused = await t.throwsAsync(tokens.validate(token), { instanceOf: DependencyUnavailable });
    t.is(refused?.dependency, 'keystone');
    t.regex(refused?.message ?? '', /unreachable.*ECONNREFUSED/);

    await os.setMode('keystone', 'error');
    await t.throwsAsync(tokens.validate(token), { instanceOf: DependencyUnavailable, message: /HTTP 500/ });

    await os.setMode('keystone', 'hang');
    await t.throwsAsync(tokens.validate(token), { instanceOf: DependencyUnavailable, message: /did not answer .* within 1000 ms/ });
  } finally {
    await os.setMode('keystone', 'up');
  }
  t.is((await tokens.validate(token)).userName, 'nova');
});

test.serial('a hanging Keystone during our own authentication is DependencyUnavailable too', async (t) => {
  const { tokens } = validator({ timeoutMs: 1_000 });
  try {
    await os.setMode('keystone', 'hang');
    const error = await t.throwsAsync(tokens.validate(os.issueToken('nova', 'service').token), { instanceOf: DependencyUnavailable });
    t.regex(error?.message ?? '', /POST .*\/v3\/auth\/tokens within 1000 ms/);
  } finally {
    await os.setMode('keystone', 'up');
  }
});

test.serial("the caller's own budget ends its wait without failing the shared validation", async (t) => {
  const { session, tokens } = validator({ timeoutMs: 1000 });
  await session.token();
  const { token } = os.issueToken('nova', 'service');
  const budget = new AbortController();
  budget.abort();
  await t.throwsAsync(tokens.validate(token, budget.signal), { instanceOf: DependencyUnavailable, message: /time budget/ });
  t.is((await tokens.validate(token)).userName, 'nova');
});

test.serial('tokens never reach the log', async (t) => {
  const stream = new PassThrough();
  let output = '';
  stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const logger = createLogger({ stream, format: 'json', debug: true });
  const session = new KeystoneSession({ credentials: os.credentials(), logger });
  const tokens = new KeystoneTokenValidator({ session, cacheTimeMs: 300_000, logger });
  const good = os.issueToken('nova', 'service').token;
  const bad = os.issueToken('demo', 'demo').token;
  os.revokeToken(bad);
  await tokens.validate(good);
  await t.throwsAsync(tokens.validate(bad));
  os.revokeTokensOf('novajoin');
  await tokens.validate(os.issueToken('nova', 'service').token);
  await new Promise((resolve) => setImmediate(resolve));
  t.regex(output, /caller token validated/);
  t.regex(output, /tokenHash/);
  t.false(output.includes(good.slice(0, 40)));
  t.false(output.includes(bad.slice(0, 40)));
  t.false(output.includes('novajoin-secret'));
  t.false(/gAAAAAB[A-Za-z0-9_-]{10}/.test(output));
});

test.serial('the session shares one authentication among concurrent callers and reuses its token', async (t) => {
  const session = new KeystoneSession({ credentials: os.credentials() });
  const before = os.counters.issued;
  const all = await Promise.all(Array.from({ length: 10 }, () => session.token()));
  t.is(new Set(all).size, 1);
  t.is(await session.token(), all[0]!);
  t.is(os.counters.issued, before + 1);
});

test.serial('the session replaces its token within 120 s of expiry', async (t) => {
  let skew = 0;
  const session = new KeystoneSession({ credentials: os.credentials(), now: () => Date.now() + skew });
  const first = await session.serviceToken();
  skew = first.expiresAt - Date.now() - 121_000;
  t.is((await session.serviceToken()).token, first.token);
  skew = first.expiresAt - Date.now() - 119_000;
  t.not((await session.serviceToken()).token, first.token);
});

test.serial('invalidate forgets only the token it names', async (t) => {
  const session = new KeystoneSession({ credentials: os.credentials() });
  const first = await session.token();
  session.invalidate('some-other-token');
  t.is(await session.token(), first);
  session.invalidate(first);
  t.not(await session.token(), first);
});

test.serial('endpoints come from the catalog by type, interface and region, or from an override', async (t) => {
  const session = new KeystoneSession({ credentials: os.credentials(), interface: 'internal', regionName: os.region });
  t.is(await session.endpoint('compute'), `${os.nova.url}/v2.1`);
  t.is(await session.endpoint('image'), os.glance.url);
  t.is(await session.endpoint('network'), os.neutron.url);
  t.is(await session.endpoint('identity'), os.keystoneUrl);
  const elsewhere = new KeystoneSession({ credentials: os.credentials(), regionName: 'RegionTwo' });
  const error = await t.throwsAsync(elsewhere.endpoint('image'), { instanceOf: EndpointNotFound });
  t.regex(error?.message ?? '', /no internal endpoint for image in region "RegionTwo"/);
  const overridden = new KeystoneSession({ credentials: os.credentials(), endpoints: { image: 'http://127.0.0.1:1/' } });
  t.is(await overridden.endpoint('image'), 'http://127.0.0.1:1');
});

test('an auth_url without /v3 gets one; an empty auth_url fails at the first call', async (t) => {
  const session = new KeystoneSession({ credentials: { ...os.credentials(), authUrl: 'http://keystone.example:5000/' } });
  t.is(session.authUrl, 'http://keystone.example:5000/v3');
  const none = new KeystoneSession({ credentials: { ...os.credentials(), authUrl: '' } });
  await t.throwsAsync(none.token(), { instanceOf: DependencyUnavailable, message: /no Keystone auth_url/ });
});

test('catalog parsing skips malformed entries and matches any region when none is configured', (t) => {
  const catalog = parseCatalog([
    null,
    { type: 'compute', endpoints: [{ interface: 'public', url: 'http://pub/v2.1', region_id: 'R1' }, { interface: 'internal', url: 'http://int/v2.1/', region: 'R2' }, 'junk'] },
    { type: 'image' },
  ]);
  t.is(catalog.length, 1);
  t.is(findEndpoint(catalog, 'compute', 'internal', ''), 'http://int/v2.1');
  t.is(findEndpoint(catalog, 'compute', 'internal', 'R2'), 'http://int/v2.1');
  t.throws(() => findEndpoint(catalog, 'compute', 'internal', 'R1'), { instanceOf: EndpointNotFound });
  t.throws(() => findEndpoint(catalog, 'network', 'public', ''), { instanceOf: EndpointNotFound });
});

test('the password body uses domain ids when configured, names otherwise', (t) => {
  const base = { authUrl: 'http://k/v3', username: 'nova', password: 'pw', userDomainName: 'Default', userDomainId: '', projectName: 'service', projectDomainName: 'Default', projectDomainId: '', cafile: '', timeoutMs: 1000 };
  t.deepEqual(passwordAuthBody(base), {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'nova', domain: { name: 'Default' }, password: 'pw' } } },
      scope: { project: { name: 'service', domain: { name: 'Default' } } },
    },
  });
  const byId = passwordAuthBody({ ...base, userDomainId: 'd1', projectDomainId: 'd2' }) as { auth: { identity: { password: { user: { domain: unknown } } }; scope: { project: { domain: unknown } } } };
  t.deepEqual(byId.auth.identity.password.user.domain, { id: 'd1' });
  t.deepEqual(byId.auth.scope.project.domain, { id: 'd2' });
});

test.serial('a caller that gave up before a failing shared call leaves no unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const session = new KeystoneSession({ credentials: { ...os.credentials(), password: 'wrong' } });
  const gone = new AbortController();
  gone.abort();
  await t.throwsAsync(session.token(gone.signal), { instanceOf: DependencyUnavailable, message: /time budget/ });
  // Let the shared authentication fail with nobody waiting on it any more.
  const before = os.counters.issued;
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(os.counters.issued, before, 'the refused authentication issued nothing');
  process.off('unhandledRejection', onUnhandled);
  t.deepEqual(unhandled, []);
});
