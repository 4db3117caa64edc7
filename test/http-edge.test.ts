/**
 * novajoin-server as anyone on the network meets it: what the unauthenticated
 * endpoints cost and reveal, what a 5xx tells a client, answers for methods a
 * route does not take, slow clients and the connection cap. Real HTTP to the
 * running service on the test FreeIPA, Keystone and Glance.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { RunningServer } from '../src/server/start.js';
import { captureLog } from './support/log-capture.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';

let env: NovajoinEnv;
let server: RunningServer;

test.before(async () => {
  env = await startNovajoinEnv();
  server = await env.startServer(await env.config());
});

test.after.always(async () => {
  await env?.stop();
});

function joinBody(): Record<string, unknown> {
  return {
    'project-id': env.openstack.projects.demo.id,
    'instance-id': randomUUID(),
    'image-id': '',
    'user-data': null,
    hostname: `edge-${randomUUID().slice(0, 8)}`,
    metadata: { ipa_enroll: 'True' },
  };
}

async function join(url: string, token = env.novaToken()) {
  const res = await fetch(`${url}/v1/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token }, body: JSON.stringify(joinBody()) });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

test('a method a route does not take is a 405 with Allow, saying 405 in its body', async (t) => {
  for (const path of ['/v1/', '/v1']) {
    const res = await fetch(`${server.url}${path}`);
    t.is(res.status, 405, path);
    t.regex(res.headers.get('allow') ?? '', /\bPOST\b/);
    const body = (await res.json()) as Record<string, any>;
    t.is(body['error'].code, 405);
    t.is(body['error'].title, 'method_not_allowed');
  }
  const del = await fetch(`${server.url}/healthz`, { method: 'DELETE' });
  t.is(del.status, 405);
  t.regex(del.headers.get('allow') ?? '', /\bGET\b/);
});

test('OPTIONS answers 204 with Allow and no body; an unknown path is still 404', async (t) => {
  const res = await fetch(`${server.url}/v1/`, { method: 'OPTIONS' });
  t.is(res.status, 204);
  t.deepEqual(new Set((res.headers.get('allow') ?? '').split(/,\s*/)), new Set(['POST', 'OPTIONS']));
  t.is(await res.text(), '');
  const missing = await fetch(`${server.url}/v2/`);
  t.is(missing.status, 404);
  t.is(((await missing.json()) as Record<string, any>)['error'].code, 404);
});

test.serial('a 503 while Keystone is down gives the client a generic message and the request id; the detail is in the log', async (t) => {
  const log = captureLog();
  const own = await env.startServer(await env.config(), {}, log.logger);
  const token = env.novaToken();
  await env.openstack.setMode('keystone', 'refuse');
  try {
    const res = await join(own.url, token);
    t.is(res.status, 503);
    const text = JSON.stringify(res.body);
    const keystone = new URL(env.openstack.keystoneUrl);
    t.false(text.includes(keystone.port), 'no Keystone port');
    t.false(text.includes(keystone.host), 'no Keystone host');
    t.false(/ECONNREFUSED|unreachable|https?:\/\//.test(text), text);
    const id = res.headers.get('x-openstack-request-id');
    t.truthy(id);
    t.is(res.body['error'].request_id, id);
    t.is(res.body['error'].message, 'Keystone is unavailable');
    const logged = (await log.lines()).filter((line) => line.includes(id!)).join('\n');
    t.true(logged.includes(keystone.port), 'the log line of that request carries the detail');
  } finally {
    await env.openstack.setMode('keystone', 'up');
  }
});

test.serial('/readyz names the failing check but not FreeIPA\'s error text', async (t) => {
  const log = captureLog();
  const own = await env.startServer(await env.config('[DEFAULT]\nreadiness_interval = 0'), {}, log.logger);
  await env.ipa.emulator.setMode('refuse');
  try {
    const res = await fetch(`${own.url}/readyz`);
    t.is(res.status, 503);
    const body = (await res.json()) as Record<string, any>;
    t.like(body['checks'].find((c: any) => c.name === 'freeipa'), { name: 'freeipa', ok: false });
    const text = JSON.stringify(body);
    t.false(/ECONNREFUSED|refused|reach|127\.0\.0\.1|lastError|"error"/.test(text), text);
    t.false(text.includes(`:${env.ipa.emulator.port}`), 'no FreeIPA port');
    t.regex(await log.text(), /readiness check failed/);
  } finally {
    await env.ipa.emulator.setMode('up');
  }
});

test.serial('readiness probes share one result and never take the FreeIPA slots joins need', async (t) => {
  const own = await env.startServer(await env.config('[DEFAULT]\nreadiness_interval = 60\njoin_timeout = 5\n[freeipa]\nmax_concurrency = 2'));
  env.ipa.emulator.resetCounters();
  env.ipa.emulator.setLatency(100);
  try {
    // A burst, as many probe loops hitting at once: each probe used to be a
    // ping queued for the same slots as the joins, with an earlier deadline.
    const probes = Array.from({ length: 300 }, () => fetch(`${own.url}/readyz`).then(async (res) => (await res.arrayBuffer(), res.status)));
    const joins = await Promise.all(Array.from({ length: 6 }, () => join(own.url)));
    const answered = (await Promise.all(probes)).filter((status) => status === 200).length;
    t.deepEqual(joins.map((j) => j.status), joins.map(() => 200), 'every join answered while the probes ran');
    t.is(answered, 300, 'every probe was answered');
    const pings = env.ipa.emulator.counters().commands['ping'] ?? 0;
    t.true(pings <= 1, `FreeIPA was pinged ${pings} times for ${answered} probes`);
  } finally {
    env.ipa.emulator.setLatency(0);
  }
});

/** Resolves when the server closes the socket, with what it sent first. */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Fails the test instead of waiting for the server's own, much longer, defaults. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms))),
  ]);
}

test.serial('a client that sends nothing or half a request is disconnected at the header and request timeouts', async (t) => {
  const own = await env.startServer(await env.config('[DEFAULT]\nheader_timeout = 1\nrequest_timeout = 2'));
  const halfHeaders = await open(own.port);
  const headersDone = closed(halfHeaders);
  halfHeaders.write('POST /v1/ HTTP/1.1\r\nHost: novajoin\r\nContent-Type: application/json\r\n');
  const halfBody = await open(own.port);
  const bodyDone = closed(halfBody);
  halfBody.write('POST /v1/ HTTP/1.1\r\nHost: novajoin\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"hostname": ');
  const silent = await open(own.port);
  const silentDone = closed(silent);
  const afterSilence = await within(silentDone, 20_000, 'a connection that sends nothing');
  t.true(afterSilence === '' || /^HTTP\/1\.1 408/.test(afterSilence), afterSilence);
  const afterHeaders = await within(headersDone, 20_000, 'half-sent headers');
  const afterBody = await within(bodyDone, 20_000, 'half-sent body');
  t.true(afterHeaders === '' || /^HTTP\/1\.1 408/.test(afterHeaders), afterHeaders);
  // The body is never read (authentication refuses first), so the answer is a 401, then the close.
  t.false(afterBody.includes(' 200 OK'), afterBody);
  t.is((await fetch(`${own.url}/healthz`)).status, 200, 'and the service still answers');
});

test.serial('connections past max_connections are closed on arrival, and the service answers again once they go', async (t) => {
  const own = await env.startServer(await env.config('[DEFAULT]\nmax_connections = 3'));
  const held = await Promise.all(Array.from({ length: 3 }, () => open(own.port)));
  for (const socket of held) socket.write('GET /healthz HTTP/1.1\r\nHost: novajoin\r\n');
  // Each held socket's partial request reaches the server before the extra one arrives.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const extra = await open(own.port);
  const extraDone = closed(extra);
  extra.write('GET /healthz HTTP/1.1\r\nHost: novajoin\r\nConnection: close\r\n\r\n');
  const answer = await within(extraDone, 20_000, 'the connection over the cap');
  t.false(answer.startsWith('HTTP/1.1 200'), 'the connection over the cap got no answer');
  for (const socket of held) socket.destroy();
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
    status = await fetch(`${own.url}/healthz`).then((r) => r.status, () => 0);
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(status, 200);
});

const computeOnly = [{ service: 'compute', method: 'GET', path: '/v2.1/servers' }];

test.serial('an application credential limited to other requests does not pass join:create', async (t) => {
  const writes = env.ipa.emulator.counters().writes;
  const restricted = env.openstack.issueToken('nova', 'service', { accessRules: computeOnly }).token;
  const res = await join(server.url, restricted);
  t.is(res.status, 401);
  t.false('ipaotp' in res.body);
  t.is(env.ipa.emulator.counters().writes, writes, 'nothing written to FreeIPA');
});

test.serial('access rules are matched on our service_type, the method and the path; none configured refuses every restricted token', async (t) => {
  const own = await env.startServer(await env.config('[keystone_authtoken]\nservice_type = vendordata'));
  const allowed = env.openstack.issueToken('nova', 'service', { accessRules: [...computeOnly, { service: 'vendordata', method: 'POST', path: '/v1/**' }] }).token;
  t.is((await join(own.url, allowed)).status, 200);
  const wrongMethod = env.openstack.issueToken('nova', 'service', { accessRules: [{ service: 'vendordata', method: 'GET', path: '/v1/**' }] }).token;
  t.is((await join(own.url, wrongMethod)).status, 401);
  const wrongPath = env.openstack.issueToken('nova', 'service', { accessRules: [{ service: 'vendordata', method: 'POST', path: '/v2/*' }] }).token;
  t.is((await join(own.url, wrongPath)).status, 401);
  t.is((await join(server.url, allowed)).status, 401, 'a server with no service_type refuses even a matching rule');
  t.is((await join(server.url)).status, 200, 'an unrestricted token still passes');
});
