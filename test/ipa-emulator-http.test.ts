/**
 * The emulator's HTTP and JSON-RPC envelope, over real HTTP (memory store,
 * password logins): status codes, cookies, Referer and Host rules, the
 * envelope errors with FreeIPA's exact texts, version handling, sessions,
 * and the test hooks (modes, counters).
 */
import test from 'ava';
import { startIpaEmulator, passwordTableAuthenticators, type IpaEmulator } from '../src/ipa-emulator/index.js';
import { makeLookup, rawRequest, type RawResponse } from './support/ipa-stack.js';

const SERVER = 'ipa.example.test';
const PASSWORD = 'Secret-123';
const lookup = makeLookup(SERVER);
let emu: IpaEmulator;
let base: string;

test.before(async () => {
  emu = await startIpaEmulator({ authenticators: passwordTableAuthenticators({ admin: PASSWORD }, 'EXAMPLE.TEST') });
  base = `http://${SERVER}:${emu.port}`;
});
test.after.always(async () => {
  await emu?.close();
});

const REFERER = `https://${SERVER}/ipa/xml`;

function post(path: string, body: string, headers: Record<string, string> = {}, timeoutMs?: number): Promise<RawResponse> {
  return rawRequest(`${base}${path}`, {
    method: 'POST',
    body,
    lookup,
    headers: { Referer: REFERER, 'Content-Type': 'application/json', ...headers },
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

async function login(user = 'admin', password = PASSWORD): Promise<RawResponse> {
  const form = new URLSearchParams({ user, password }).toString();
  return post('/ipa/session/login_password', form, { 'Content-Type': 'application/x-www-form-urlencoded' });
}

async function cookie(): Promise<string> {
  const res = await login();
  const set = res.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0] as string;
}

async function rpc(c: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await post('/ipa/session/json', typeof body === 'string' ? body : JSON.stringify(body), { Cookie: c, ...headers });
  return { res, json: JSON.parse(res.body) as { result: any; error: any; id: unknown; principal: string; version: string } };
}

const call = (c: string, method: string, args: unknown[] = [], options: Record<string, unknown> = { version: '2.251' }) =>
  rpc(c, { method, params: [args, options], id: 7 });

test('login_password sets the ipa_session cookie and the session answers JSON-RPC with the full envelope', async (t) => {
  const res = await login();
  t.is(res.status, 200);
  t.is(res.body, '');
  const set = res.headers['set-cookie'];
  t.is(set?.length, 1);
  t.regex(set?.[0] ?? '', /^ipa_session=MagBearerToken=[A-Za-z0-9_-]+; path=\/ipa; httponly; secure$/);
  const { res: r, json } = await call((set?.[0] ?? '').split(';')[0] as string, 'ping');
  t.is(r.status, 200);
  t.is(r.headers['content-type'], 'application/json; charset=utf-8');
  t.deepEqual(json, { result: { summary: 'IPA server version 4.9.11. API version 2.251' }, error: null, id: 7, principal: 'admin@EXAMPLE.TEST', version: '4.9.11' });
});

test('login_password refusals: wrong password 401 with a rejection reason, form and method and Referer checks 400', async (t) => {
  const wrong = await login('admin', 'nope');
  t.is(wrong.status, 401);
  t.is(wrong.headers['x-ipa-rejection-reason'], 'invalid-password');
  t.is(wrong.headers['set-cookie'], undefined);
  const unknown = await login('mallory', PASSWORD);
  t.is(unknown.status, 401);

  const json = await post('/ipa/session/login_password', 'user=admin&password=x');
  t.is(json.status, 400);
  t.true(json.body.includes('Content-Type must be application/x-www-form-urlencoded'));

  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const noUser = await post('/ipa/session/login_password', 'password=x', form);
  t.is(noUser.status, 400);
  t.true(noUser.body.includes('no user specified'));
  const twoUsers = await post('/ipa/session/login_password', 'user=a&user=b&password=x', form);
  t.true(twoUsers.body.includes('more than one user parameter'));
  const noPassword = await post('/ipa/session/login_password', 'user=admin', form);
  t.true(noPassword.body.includes('no password specified'));

  const badReferer = await post('/ipa/session/login_password', `user=admin&password=${PASSWORD}`, { ...form, Referer: 'https://evil.example/ipa' });
  t.is(badReferer.status, 400);
  t.true(badReferer.body.includes('denied'));
  t.is(badReferer.headers['set-cookie'], undefined);

  const get = await rawRequest(`${base}/ipa/session/login_password`, { lookup, headers: { Referer: REFERER, ...form } });
  t.is(get.status, 400);
  t.true(get.body.includes('HTTP request method must be POST'));
});

test('session endpoints: no cookie is 401 Negotiate, a bad Referer is 400 denied, a wrong content type is CommandError 905', async (t) => {
  const none = await post('/ipa/session/json', JSON.stringify({ method: 'ping', params: [[], {}] }));
  t.is(none.status, 401);
  t.is(none.headers['www-authenticate'], 'Negotiate');

  const c = await cookie();
  for (const referer of ['https://evil.example/ipa', `https://${SERVER}/other`, `https://${SERVER}/ipa://x`, `http://${SERVER}/ipa`]) {
    const bad = await post('/ipa/session/json', JSON.stringify({ method: 'ping', params: [[], {}] }), { Cookie: c, Referer: referer });
    t.is(bad.status, 400, referer);
    t.true(bad.body.includes('denied'));
  }
  const { res, json } = await rpc(c, JSON.stringify({ method: 'ping', params: [[], {}] }), { 'Content-Type': 'text/plain' });
  t.is(res.status, 200);
  t.deepEqual(json.error, { code: 905, name: 'CommandError', message: "unknown command 'session/json'", data: { name: 'session/json' } });
});

test('/ipa/json with a bad or missing Referer answers HTTP 200 with RefererError 911', async (t) => {
  const c = await cookie();
  const body = JSON.stringify({ method: 'ping', params: [[], {}], id: 1 });
  const missing = await rawRequest(`${base}/ipa/json`, { method: 'POST', body, lookup, headers: { Cookie: c, 'Content-Type': 'application/json' } });
  t.is(missing.status, 200);
  const m = JSON.parse(missing.body);
  t.deepEqual(m.error, { code: 911, name: 'RefererError', message: 'Missing or invalid HTTP Referer, missing', data: { referer: 'missing' } });
  t.is(m.result, null);
  const bad = await post('/ipa/json', body, { Cookie: c, Referer: 'https://elsewhere/ipa' });
  t.is(bad.status, 200);
  t.is(JSON.parse(bad.body).error.message, 'Missing or invalid HTTP Referer, https://elsewhere/ipa');
});

test('a request for another Host is redirected to the canonical name', async (t) => {
  const res = await rawRequest(`http://127.0.0.1:${emu.port}/ipa/session/json`, { method: 'POST', body: '{}', headers: { Referer: REFERER } });
  t.is(res.status, 301);
  t.is(res.headers.location, `https://${SERVER}:${emu.port}/ipa/session/json`);
});

test('envelope errors are JSONError 909 with FreeIPA texts', async (t) => {
  const c = await cookie();
  const cases: Array<[string, string]> = [
    ['[1]', 'Request must be a dict'],
    ['{"params": [[], {}]}', 'Request is missing "method"'],
    ['{"method": "ping"}', 'Request is missing "params"'],
    ['{"method": "ping", "params": {}}', 'params must be a list'],
    ['{"method": "ping", "params": [[]]}', 'params must contain [args, options]'],
    ['{"method": "ping", "params": [[], {}, {}]}', 'params must contain [args, options]'],
    ['{"method": "ping", "params": [{}, {}]}', 'params[0] (aka args) must be a list'],
    ['{"method": "ping", "params": [[], []]}', 'params[1] (aka options) must be a dict'],
  ];
  for (const [body, error] of cases) {
    const { res, json } = await rpc(c, body);
    t.is(res.status, 200);
    t.deepEqual(json.error, { code: 909, name: 'JSONError', message: `Invalid JSON-RPC request: ${error}`, data: { error } }, body);
    t.is(json.id, null);
  }
  const { json } = await rpc(c, '{not json');
  t.is(json.error.code, 909);
  t.true(json.error.message.startsWith('Invalid JSON-RPC request: '));
});

test('method names: plain and /1 work, other suffixes and unknown names are CommandError 905', async (t) => {
  const c = await cookie();
  t.is((await call(c, 'ping/1')).json.error, null);
  const two = await call(c, 'ping/2');
  t.deepEqual(two.json.error, { code: 905, name: 'CommandError', message: "unknown command 'ping/2'", data: { name: 'ping/2' } });
  const nope = await call(c, 'host_teleport');
  t.is(nope.json.error.message, "unknown command 'host_teleport'");
});

test('version: any 2.x accepted, another major or garbage is VersionError 901, none adds VersionMissing 13001', async (t) => {
  const c = await cookie();
  t.is((await call(c, 'ping', [], { version: '2.5' })).json.error, null);
  for (const v of ['3.0', 'abc']) {
    const { json } = await call(c, 'ping', [], { version: v });
    t.deepEqual(json.error, {
      code: 901,
      name: 'VersionError',
      message: `${v} client incompatible with 2.251 server at 'https://${SERVER}/ipa/xml'`,
      data: { cver: v, sver: '2.251', server: `https://${SERVER}/ipa/xml` },
    });
  }
  const { json } = await call(c, 'ping', [], {});
  t.deepEqual(json.result.messages, [
    {
      type: 'warning',
      name: 'VersionMissing',
      message: "API Version number was not sent, forward compatibility not guaranteed. Assuming server's API version, 2.251",
      code: 13001,
      data: { server_version: '2.251' },
    },
  ]);
});

test('parameters: unknown option 3005, too many arguments 3004/3003, missing argument 3007, bad value 3008', async (t) => {
  const c = await cookie();
  const unknown = await call(c, 'host_add', ['vm.example.test'], { version: '2.251', password: 'x' });
  t.deepEqual(unknown.json.error, { code: 3005, name: 'OptionError', message: 'Unknown option: password', data: { option: 'password' } });
  const many = await call(c, 'host_show', ['a.example.test', 'b.example.test']);
  t.deepEqual(many.json.error, { code: 3004, name: 'MaxArgumentError', message: "command 'host_show' takes at most 1 argument", data: { name: 'host_show', count: 1 } });
  const zero = await call(c, 'ping', ['x']);
  t.deepEqual(zero.json.error, { code: 3003, name: 'ZeroArgumentError', message: "command 'ping' takes no arguments", data: { name: 'ping' } });
  const missing = await call(c, 'host_show', []);
  t.deepEqual(missing.json.error, { code: 3007, name: 'RequirementError', message: "'hostname' is required", data: { name: 'hostname' } });
  const bad = await call(c, 'host_find', [], { version: '2.251', sizelimit: 'lots' });
  t.is(bad.json.error.code, 3008);
  t.is(bad.json.error.message, "invalid 'sizelimit': must be an integer");
  const notFqdn = await call(c, 'host_add', ['vm1'], { version: '2.251', force: true });
  t.deepEqual(notFqdn.json.error, {
    code: 3009,
    name: 'ValidationError',
    message: "invalid 'hostname': invalid domain-name: not fully qualified",
    data: { name: 'hostname', error: 'invalid domain-name: not fully qualified' },
  });
});

test('a multivalue argument is accepted both flat and as one list', async (t) => {
  const c = await cookie();
  for (const name of ['m1', 'm2', 'm3', 'm4']) {
    t.is((await call(c, 'host_add', [`${name}.example.test`], { version: '2.251', force: true })).json.error, null);
  }
  const flat = await call(c, 'host_del', ['m1.example.test', 'm2.example.test']);
  t.deepEqual(flat.json.result.value, ['m1.example.test', 'm2.example.test']);
  const nested = await call(c, 'host_del', [['m3.example.test', 'm4.example.test']]);
  t.deepEqual(nested.json.result, { result: { failed: [] }, value: ['m3.example.test', 'm4.example.test'], summary: 'Deleted host "m3.example.test,m4.example.test"' });
});

test('an old client (no primary_key_types) gets keys joined with commas', async (t) => {
  const c = await cookie();
  await call(c, 'host_add', ['old1.example.test'], { version: '2.251', force: true });
  const { json } = await call(c, 'host_del', ['old1.example.test'], { version: '2.51' });
  t.is(json.result.value, 'old1.example.test');
  t.is(json.result.result.failed, '');
});

test.serial('session expiry and invalidation give 401; a new login works again', async (t) => {
  const c = await cookie();
  t.is((await call(c, 'ping')).res.status, 200);
  emu.expireSessions();
  const expired = await post('/ipa/session/json', JSON.stringify({ method: 'ping', params: [[], {}] }), { Cookie: c });
  t.is(expired.status, 401);
  t.is(expired.headers['www-authenticate'], 'Negotiate');
  const again = await cookie();
  t.is((await call(again, 'ping')).res.status, 200);

  emu.setSessionLifetime(30);
  try {
    const short = await cookie();
    await new Promise((r) => setTimeout(r, 120));
    t.is((await post('/ipa/session/json', JSON.stringify({ method: 'ping', params: [[], {}] }), { Cookie: short })).status, 401);
  } finally {
    emu.setSessionLifetime(24 * 3600 * 1000);
  }
});

test('session_logout ends the session and clears the cookie', async (t) => {
  const c = await cookie();
  const { res, json } = await call(c, 'session_logout');
  t.deepEqual(json.result, { result: null });
  t.is(res.headers['set-cookie']?.[0], 'ipa_session=MagBearerToken=; path=/ipa; httponly; secure');
  t.is((await post('/ipa/session/json', JSON.stringify({ method: 'ping', params: [[], {}] }), { Cookie: c })).status, 401);
});

test.serial('counters: round trips per HTTP request, commands by name, writes per batch item', async (t) => {
  const c = await cookie();
  emu.resetCounters();
  await call(c, 'ping');
  await call(c, 'batch', [
    [
      { method: 'host_add', params: [['cnt1.example.test'], { force: true }] },
      { method: 'host_add', params: [['cnt2.example.test'], { force: true }] },
      { method: 'host_show', params: [['cnt1.example.test'], {}] },
    ],
  ]);
  const counters = emu.counters();
  t.is(counters.roundTrips, 2);
  t.is(counters.writes, 2);
  t.deepEqual(counters.commands, { ping: 1, batch: 1, host_add: 2, host_show: 1 });
  emu.resetCounters();
  t.is(emu.counters().roundTrips, 0);
  t.deepEqual(emu.counters().commands, {});
});

test.serial('modes: refuse closes the port, hang never answers, error500 answers 500, up restores service', async (t) => {
  const c = await cookie();
  const ping = JSON.stringify({ method: 'ping', params: [[], { version: '2.251' }] });
  try {
    await emu.setMode('refuse');
    const refused = await t.throwsAsync(post('/ipa/session/json', ping, { Cookie: c }));
    t.regex(String((refused as NodeJS.ErrnoException).code ?? refused?.message), /ECONNREFUSED/);

    await emu.setMode('hang');
    const hung = await t.throwsAsync(post('/ipa/session/json', ping, { Cookie: c }, 300));
    t.regex(hung?.name ?? '', /AbortError|TimeoutError/);

    await emu.setMode('error500');
    const broken = await post('/ipa/session/json', ping, { Cookie: c });
    t.is(broken.status, 500);
  } finally {
    await emu.setMode('up');
  }
  const { res, json } = await rpc(c, ping);
  t.is(res.status, 200);
  t.is(json.error, null);
});

test.serial('latency delays answers without changing them', async (t) => {
  const c = await cookie();
  emu.setLatency(20);
  try {
    const { json } = await call(c, 'ping');
    t.is(json.result.summary, 'IPA server version 4.9.11. API version 2.251');
  } finally {
    emu.setLatency(0);
  }
});
