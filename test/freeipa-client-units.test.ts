/**
 * The FreeIPA client's pure parts: envelope, value decoding, batch items,
 * command builders, cookie parsing, the semaphore and the retry rule. The
 * wire behaviour against a FreeIPA server is in freeipa-client.test.ts.
 */
import test from 'ava';
import { batchCommand, decodeBatch, decodeReply, decodeValue, encodeCall } from '../src/freeipa/codec.js';
import * as cmd from '../src/freeipa/commands.js';
import * as dnsCmd from '../src/freeipa/dns-commands.js';
import * as rbacCmd from '../src/freeipa/rbac-commands.js';
import {
  AlreadyInactiveError, DuplicateEntryError, FreeIpaError, FreeIpaTimeoutError, FreeIpaUnavailableError, NotFoundError,
  OptionError, ValidationError,
} from '../src/freeipa/errors.js';
import { backoffDelay, ServerStatusError, withRetries } from '../src/freeipa/retry.js';
import { Semaphore } from '../src/freeipa/semaphore.js';
import { sessionCookie } from '../src/freeipa/session.js';
import { raceDeadline } from '../src/freeipa/deadline.js';

test('encodeCall: versioned method, [args, options] with the pinned version, id 0', (t) => {
  const body = encodeCall(cmd.hostAdd('vm1.example.test', { force: true, userpassword: 'otp', description: undefined }), '2.230');
  t.deepEqual(JSON.parse(body), {
    method: 'host_add/1',
    params: [['vm1.example.test'], { force: true, userpassword: 'otp', version: '2.230' }],
    id: 0,
  });
});

test('batchCommand: items carry versioned methods and their own params, no version (the batch gives it)', (t) => {
  const batch = batchCommand([cmd.hostShow('a.example.test'), dnsCmd.dnsrecordFind('example.test', undefined, { idnsname: 'a' })]);
  t.deepEqual(JSON.parse(encodeCall(batch, '2.251')), {
    method: 'batch/1',
    params: [
      [
        { method: 'host_show/1', params: [['a.example.test'], {}] },
        { method: 'dnsrecord_find/1', params: [['example.test'], { idnsname: 'a' }] },
      ],
      { version: '2.251' },
    ],
    id: 0,
  });
});

test('decodeReply: result returned, JSON error thrown as its class with data', (t) => {
  t.deepEqual(decodeReply('{"result":{"summary":"x"},"error":null,"id":0}', 'ping'), { summary: 'x' });
  const error = t.throws(
    () => decodeReply('{"result":null,"error":{"code":4001,"name":"NotFound","message":"vm1: host not found","data":{"reason":"vm1: host not found"}},"id":0}', 'host_show'),
    { instanceOf: NotFoundError },
  );
  t.is(error?.code, 4001);
  t.is(error?.message, 'vm1: host not found');
  t.deepEqual(error?.data, { reason: 'vm1: host not found' });
  const unknown = t.throws(() => decodeReply('{"result":null,"error":{"code":9999,"message":"new"}}', 'x'), { instanceOf: FreeIpaError });
  t.is(unknown?.code, 9999);
  t.throws(() => decodeReply('<html>proxy error</html>', 'x'), { instanceOf: FreeIpaError, message: /not JSON/ });
});

test('decodeValue: FreeIPA type wrappers become string, Date and Buffer', (t) => {
  const out = decodeValue({
    idnsname: [{ __dns_name__: 'www' }],
    when: { __datetime__: '20240102030405Z' },
    cert: { __base64__: 'AAE=' },
    nested: [{ value: { __dns_name__: 'example.test.' } }],
    plain: { a: 1 },
  }) as Record<string, unknown>;
  t.deepEqual(out['idnsname'], ['www']);
  t.deepEqual(out['when'], new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
  t.deepEqual(out['cert'], Buffer.from([0, 1]));
  t.deepEqual(out['nested'], [{ value: 'example.test.' }]);
  t.deepEqual(out['plain'], { a: 1 });
});

test('decodeBatch: item errors are values of their class, successes lose the error key', (t) => {
  const items = decodeBatch(
    {
      count: 3,
      results: [
        { result: { fqdn: ['a'] }, value: 'a', summary: null, error: null },
        { error: 'b: host not found', error_code: 4001, error_name: 'NotFound', error_kw: { reason: 'b: host not found' } },
        { error: 'host with name "c" already exists', error_code: 4002, error_name: 'DuplicateEntry', error_kw: {} },
      ],
    },
    3,
  );
  t.deepEqual(items[0], { ok: true, result: { result: { fqdn: ['a'] }, value: 'a', summary: null } });
  t.true(items[1]?.ok === false && items[1].error instanceof NotFoundError);
  t.true(items[2]?.ok === false && items[2].error instanceof DuplicateEntryError);
  t.throws(() => decodeBatch({ count: 1, results: [] }, 1), { instanceOf: FreeIpaError });
});

test('builders: FreeIPA wire option names, undefined options dropped, multivalue args as lists', (t) => {
  t.deepEqual(cmd.hostAdd('h.example.test', { userpassword: 'x', random: undefined }).options, { userpassword: 'x' });
  t.deepEqual(cmd.hostDel('h.example.test', { updatedns: true }).args, [['h.example.test']]);
  t.deepEqual(cmd.hostDel(['a', 'b']).args, [['a', 'b']]);
  t.deepEqual(cmd.hostFind().args, []);
  t.deepEqual(cmd.hostFind('web', { sizelimit: 0 }).args, ['web']);
  t.deepEqual(cmd.serviceAddHost('HTTP/h', ['h']).options, { host: ['h'] });
  t.deepEqual(cmd.serviceRemoveHost('HTTP/h', ['h']).options, { host: ['h'] });
  t.deepEqual(dnsCmd.dnsrecordFind('z', 'crit').args, ['z', 'crit']);
  t.deepEqual(rbacCmd.privilegeAddPermission('p', ['x']).options, { permission: ['x'] });
  t.deepEqual(rbacCmd.roleAddPrivilege('r', ['p']).options, { privilege: ['p'] });
  t.deepEqual(rbacCmd.roleAddMember('r', { service: ['nova/x@R'], user: undefined }).options, { service: ['nova/x@R'] });
  t.deepEqual(cmd.ping(), { method: 'ping', args: [], options: {} });
  t.true(Object.isFrozen(cmd.hostShow('h').options));
});

test('sessionCookie: the ipa_session value, opaque; a cleared bearer token is no session', (t) => {
  t.is(sessionCookie({ 'set-cookie': ['other=1; path=/', 'ipa_session=MagBearerToken=abc%2Fdef&expiry=1; path=/ipa; httponly; secure'] }), 'MagBearerToken=abc%2Fdef&expiry=1');
  t.is(sessionCookie({ 'set-cookie': ['ipa_session=MagBearerToken=; path=/ipa'] }), null);
  t.is(sessionCookie({}), null);
});

test('Semaphore: never more than its size in flight; a queued waiter gives up at its deadline', async (t) => {
  const slots = new Semaphore(2);
  let inFlight = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      const release = await slots.acquire(Date.now() + 5_000);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      release();
      release(); // a double release must not add a permit
    }),
  );
  t.is(peak, 2);
  t.is(slots.inFlight, 0);

  const held = [await slots.acquire(Date.now() + 1_000), await slots.acquire(Date.now() + 1_000)];
  await t.throwsAsync(slots.acquire(Date.now() + 30), { instanceOf: FreeIpaTimeoutError });
  t.is(slots.queued, 0);
  const later = slots.acquire(Date.now() + 5_000);
  held[0]?.();
  const release = await later;
  t.is(slots.inFlight, 2);
  release();
  held[1]?.();
  t.is(slots.inFlight, 0);
});

test('withRetries: only unavailability is retried, at most `retries` times', async (t) => {
  let attempts = 0;
  const unavailable = withRetries(
    async () => {
      attempts += 1;
      throw new ServerStatusError(503, 'x');
    },
    { retries: 2, deadline: Date.now() + 10_000, what: 'x', baseDelayMs: 1 },
  );
  const error = await t.throwsAsync(unavailable, { instanceOf: FreeIpaUnavailableError });
  t.is(attempts, 3);
  t.regex(error?.message ?? '', /after 3 attempts.*HTTP 503/);

  attempts = 0;
  await t.throwsAsync(
    withRetries(
      async () => {
        attempts += 1;
        throw new ValidationError('invalid', {});
      },
      { retries: 5, deadline: Date.now() + 10_000, what: 'x', baseDelayMs: 1 },
    ),
    { instanceOf: ValidationError },
  );
  t.is(attempts, 1);

  attempts = 0;
  t.is(
    await withRetries(
      async (n) => {
        attempts += 1;
        if (n < 2) throw new FreeIpaUnavailableError('ECONNRESET');
        return 'done';
      },
      { retries: 2, deadline: Date.now() + 10_000, what: 'x', baseDelayMs: 1 },
    ),
    'done',
  );
  t.is(attempts, 3);
});

test('withRetries: stops instead of sleeping past the deadline; a timeout is never retried', async (t) => {
  let attempts = 0;
  await t.throwsAsync(
    withRetries(
      async () => {
        attempts += 1;
        throw new FreeIpaUnavailableError('ECONNREFUSED');
      },
      { retries: 10, deadline: Date.now() + 50, what: 'x', baseDelayMs: 1_000 },
    ),
    { instanceOf: FreeIpaUnavailableError, message: /no time left/ },
  );
  t.is(attempts, 1);
  attempts = 0;
  await t.throwsAsync(
    withRetries(
      async () => {
        attempts += 1;
        throw new FreeIpaTimeoutError('late');
      },
      { retries: 10, deadline: Date.now() + 10_000, what: 'x', baseDelayMs: 1 },
    ),
    { instanceOf: FreeIpaTimeoutError },
  );
  t.is(attempts, 1);
});

test('backoffDelay: grows, is capped, stays within [ceiling/2, ceiling]', (t) => {
  for (let i = 0; i < 50; i += 1) {
    const d1 = backoffDelay(1, 100, 2_000);
    const d4 = backoffDelay(4, 100, 2_000);
    const d20 = backoffDelay(20, 100, 2_000);
    t.true(d1 >= 50 && d1 <= 100);
    t.true(d4 >= 400 && d4 <= 800);
    t.true(d20 >= 1_000 && d20 <= 2_000);
  }
});

test('raceDeadline: a slow promise ends in FreeIpaTimeoutError, a fast one passes through', async (t) => {
  t.is(await raceDeadline(Promise.resolve(1), Date.now() + 1_000, 'x'), 1);
  await t.throwsAsync(raceDeadline(new Promise(() => {}), Date.now() + 20, 'x'), { instanceOf: FreeIpaTimeoutError });
  await t.throwsAsync(raceDeadline(Promise.reject(new AlreadyInactiveError('no')), Date.now() + 1_000, 'x'), { instanceOf: AlreadyInactiveError });
  t.true(new OptionError('Unknown option: password', { option: 'password' }) instanceof FreeIpaError);
});

test('Semaphore: the waiter closest to its deadline is served first; equal deadlines in arrival order', async (t) => {
  const slots = new Semaphore(1);
  const held = await slots.acquire(Date.now() + 5_000);
  const base = Date.now();
  const order: string[] = [];
  const wait = (name: string, deadline: number) =>
    slots.acquire(deadline).then((release) => {
      order.push(name);
      release();
    });
  const all = [wait('late', base + 4_000), wait('early-1', base + 2_000), wait('early-2', base + 2_000), wait('middle', base + 3_000)];
  held();
  await Promise.all(all);
  t.deepEqual(order, ['early-1', 'early-2', 'middle', 'late']);
});
