import test from 'ava';
import { backoffDelay, backoffLevels, baseDelay } from '../src/notify/backoff.js';
import { RecentIds } from '../src/notify/dedup.js';
import { DependencyUnavailable, InvalidRequest } from '../src/errors.js';
import { FreeIpaAuthError, FreeIpaTimeoutError, FreeIpaUnavailableError, NotFoundError } from '../src/freeipa/errors.js';
import { isTransient, PoisonMessage } from '../src/notify/errors.js';
import { KeyedQueue } from '../src/notify/keyed-queue.js';
import { NotifyMetrics } from '../src/notify/metrics.js';
import { retryLevels } from '../src/notify/topology.js';
import { parseTransportUrl } from '../src/notify/transport-url.js';

test('oslo rabbit:// URLs become amqp:// endpoints, first host first, password never displayed', (t) => {
  const endpoints = parseTransportUrl('rabbit://nova:s%40cret@rabbit1:5672,nova:s%40cret@rabbit2:5673/openstack');
  t.is(endpoints.length, 2);
  t.deepEqual(endpoints[0]?.options, { protocol: 'amqp', hostname: 'rabbit1', port: 5672, username: 'nova', password: 's@cret', vhost: 'openstack' });
  t.is(endpoints[1]?.options.hostname, 'rabbit2');
  t.is(endpoints[1]?.options.port, 5673);
  t.is(endpoints[0]?.display, 'amqp://nova@rabbit1:5672/openstack');
  for (const e of endpoints) t.false(e.display.includes('cret'));
});

test('transport URL details: default vhost, ports, ssl, IPv6, inherited credentials', (t) => {
  t.is(parseTransportUrl('rabbit://guest:guest@localhost:5672/')[0]?.options.vhost, '/');
  t.is(parseTransportUrl('rabbit://guest:guest@localhost')[0]?.options.vhost, '/');
  t.is(parseTransportUrl('rabbit://u:p@h/%2Fnova')[0]?.options.vhost, '/nova');
  const tls = parseTransportUrl('rabbit://u:p@h/?ssl=1')[0]?.options;
  t.is(tls?.protocol, 'amqps');
  t.is(tls?.port, 5671);
  t.is(parseTransportUrl('amqps://u:p@h:1234/v')[0]?.options.port, 1234);
  const v6 = parseTransportUrl('rabbit://u:p@[fd00::1]:5672/')[0];
  t.is(v6?.options.hostname, 'fd00::1');
  t.is(v6?.display, 'amqp://u@[fd00::1]:5672/%2F');
  const inherit = parseTransportUrl('rabbit://u:p@h1,h2:5700/');
  t.is(inherit[1]?.options.username, 'u');
  t.is(inherit[1]?.options.password, 'p');
  t.is(parseTransportUrl('rabbit://h1/')[0]?.options.username, 'guest');
  t.is(parseTransportUrl('amqp://u:p@h/?heartbeat=10')[0]?.options.heartbeat, 10);
  t.throws(() => parseTransportUrl('kafka://h:9092/'), { message: /unsupported scheme/ });
  t.throws(() => parseTransportUrl('rabbit://u:p@h:99999/'), { message: /port/ });
  t.throws(() => parseTransportUrl('rabbit://u:p@/'), { message: /host/ });
});

test('isTransient: FreeIPA unavailable, dependencies down, sockets, deadlines and transient:true', (t) => {
  t.true(isTransient(new FreeIpaUnavailableError('down')));
  t.true(isTransient(new FreeIpaTimeoutError('slow')));
  t.true(isTransient(new DependencyUnavailable('nova', 'down')));
  t.true(isTransient(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })));
  t.true(isTransient(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) })));
  t.true(isTransient(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
  t.true(isTransient(Object.assign(new Error('try later'), { transient: true })));
  t.true(isTransient(new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ECONNRESET' })])));
  t.true(isTransient(new Error('wrapped', { cause: new FreeIpaUnavailableError('down') })));

  t.false(isTransient(new NotFoundError('no such host')));
  t.false(isTransient(new FreeIpaAuthError('bad keytab')));
  t.false(isTransient(new InvalidRequest('bad')));
  t.false(isTransient(new PoisonMessage('bad')));
  t.false(isTransient(new Error('bug')));
  t.false(isTransient(Object.assign(new Error('no'), { transient: false, cause: new FreeIpaUnavailableError('x') })));
  t.false(isTransient('string'));
  t.false(isTransient(null));
});

test('backoff doubles from initial to max, with jitter only upwards and bounded', (t) => {
  const o = { initialMs: 100, maxMs: 1000 };
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => baseDelay(n, o)), [100, 200, 400, 800, 1000, 1000]);
  t.is(backoffDelay(3, o, () => 0), 400);
  t.is(backoffDelay(3, o, () => 0.999), Math.round(400 * 1.1998));
  t.is(backoffDelay(1000, o, () => 1), 1200);
  t.deepEqual(backoffLevels(o), [100, 200, 400, 800, 1000]);
  t.deepEqual(retryLevels({ retryInitialMs: 1000, retryMaxMs: 300_000 }), [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000]);
  t.deepEqual(retryLevels({ retryInitialMs: 500, retryMaxMs: 100 }), [100]);
});

test('RecentIds keeps the last N ids, refreshed on use', (t) => {
  const ids = new RecentIds(3);
  for (const id of ['a', 'b', 'c']) ids.add(id);
  t.true(ids.has('a')); // a is now the newest
  ids.add('d'); // evicts b
  t.false(ids.has('b'));
  t.true(ids.has('a'));
  t.true(ids.has('c'));
  t.true(ids.has('d'));
  t.is(ids.size, 3);
  t.throws(() => new RecentIds(0));
});

test('KeyedQueue runs one task at a time per key, in order, and keys in parallel', async (t) => {
  const q = new KeyedQueue();
  const log: string[] = [];
  let releaseA!: () => void;
  const gateA = new Promise<void>((r) => (releaseA = r));
  const a1 = q.run('a', async () => {
    log.push('a1 start');
    await gateA;
    log.push('a1 end');
  });
  const a2 = q.run('a', async () => {
    log.push('a2');
    throw new Error('a2 fails');
  });
  const a3 = q.run('a', async () => log.push('a3'));
  const b1 = q.run('b', async () => log.push('b1'));
  await b1;
  t.deepEqual(log, ['a1 start', 'b1']);
  releaseA();
  await a1;
  await t.throwsAsync(a2, { message: 'a2 fails' });
  await a3;
  t.deepEqual(log, ['a1 start', 'b1', 'a1 end', 'a2', 'a3']);
  await new Promise((r) => setImmediate(r));
  t.is(q.size, 0);
});

test('metrics render as Prometheus text with bounded labels', async (t) => {
  const m = new NotifyMetrics({ processMetrics: false });
  m.count('instance.delete', 'applied');
  m.count('instance.delete', 'applied');
  m.count('instance.update', 'retried');
  m.count('unknown', 'dead_lettered');
  m.observeLag(0.3);
  m.observeLag(-5);
  const text = await m.render({ state: 'consuming', states: ['connecting', 'consuming'], inFlight: 2 });
  t.regex(text, /^novajoin_notify_messages_total\{kind="instance\.delete",outcome="applied"\} 2$/m);
  t.regex(text, /^novajoin_notify_retries_total 1$/m);
  t.regex(text, /^novajoin_notify_dead_lettered_total 1$/m);
  t.regex(text, /^novajoin_notify_in_flight 2$/m);
  t.regex(text, /^novajoin_notify_state\{state="consuming"\} 1$/m);
  t.regex(text, /^novajoin_notify_lag_seconds_bucket\{le="0\.5"\} 2$/m);
  t.regex(text, /^novajoin_notify_lag_seconds_bucket\{le="0\.05"\} 1$/m);
  t.regex(text, /^novajoin_notify_lag_seconds_count 2$/m);
  t.regex(text, /# TYPE novajoin_notify_lag_seconds histogram/);
});
