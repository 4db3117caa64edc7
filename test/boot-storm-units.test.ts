/**
 * The two pieces that bound FreeIPA work in a boot storm, with a clock the
 * test moves: the answers kept for repeat joins, and the FreeIPA slots'
 * priority and shedding.
 */
import test from 'ava';
import { RecentJoins } from '../src/domain/recent-joins.js';
import { FreeIpaSaturatedError } from '../src/freeipa/errors.js';
import { PRIORITY, Semaphore } from '../src/freeipa/semaphore.js';

const key = { instanceId: 'A1B2', projectId: 'p1', fqdn: 'vm.example.test' };
const answer = { hostname: 'vm.example.test', krb_realm: 'EXAMPLE.TEST', ipaotp: 'f'.repeat(40) };

test('RecentJoins: an answer lasts its TTL from when FreeIPA was asked, a hit does not extend it', (t) => {
  let now = 0;
  const recent = new RecentJoins({ ttlMs: 30_000, now: () => now });
  t.deepEqual(recent.lookup(key, 'f1'), { answer: null, seen: false });
  recent.remember(key, 'f1', answer);
  now = 29_999;
  t.deepEqual(recent.lookup({ ...key, instanceId: 'a1b2' }, 'f1'), { answer, seen: true }, 'instance ids compare case-insensitively, as Nova sends them');
  now = 30_000;
  t.deepEqual(recent.lookup(key, 'f1'), { answer: null, seen: true }, 'expired, but the instance is known: a repeat');
});

test('RecentJoins: only the same request, only answers with an OTP, TTL 0 keeps none, bounded', (t) => {
  const recent = new RecentJoins({ ttlMs: 30_000, maxEntries: 2, now: () => 0 });
  recent.remember(key, 'f1', answer);
  t.is(recent.lookup(key, 'other image or metadata').answer, null);
  t.is(recent.lookup({ ...key, projectId: 'p2' }, 'f1').seen, false);
  t.is(recent.lookup({ ...key, fqdn: 'other.example.test' }, 'f1').seen, false);
  recent.remember(key, 'f1', { hostname: 'vm.example.test', krb_realm: 'EXAMPLE.TEST' });
  t.deepEqual(recent.lookup(key, 'f1'), { answer: null, seen: true }, 'an enrolled host is not answered from memory');

  const off = new RecentJoins({ ttlMs: 0, now: () => 0 });
  off.remember(key, 'f1', answer);
  t.deepEqual(off.lookup(key, 'f1'), { answer: null, seen: true });

  recent.remember({ ...key, instanceId: 'i2' }, 'f1', answer);
  recent.remember({ ...key, instanceId: 'i3' }, 'f1', answer);
  t.is(recent.size, 2);
  t.false(recent.lookup(key, 'f1').seen, 'the least recently used went first');
});

/** A semaphore whose hold estimate is `holdMs`: one call held that long on the test's clock. */
async function timedSlots(size: number, holdMs: number) {
  const clock = { now: 1_000_000 };
  const slots = new Semaphore(size, { now: () => clock.now });
  const release = await slots.acquire(clock.now + 60_000);
  clock.now += holdMs;
  release();
  return { slots, clock };
}

test('Semaphore: a call that cannot get a slot and finish before its deadline is refused at once', async (t) => {
  const { slots, clock } = await timedSlots(1, 100);
  const held = await slots.acquire(clock.now + 60_000);
  // One ahead: about 100 ms for the slot, 100 ms for the call.
  const refused = await t.throwsAsync(slots.acquire(clock.now + 150), { instanceOf: FreeIpaSaturatedError });
  t.true(refused!.retryAfterMs >= 1000);
  t.regex(refused!.message, /FreeIPA is saturated/);
  const fits = slots.acquire(clock.now + 250);
  t.is(slots.queued, 1);
  held();
  (await fits)();
  t.deepEqual(slots.stats.shed, { [PRIORITY.normal]: 1, [PRIORITY.low]: 0 });
});

test('Semaphore: repeats wait behind first joins and are refused first when first joins push them past their deadline', async (t) => {
  const { slots, clock } = await timedSlots(1, 100);
  const held = await slots.acquire(clock.now + 60_000);
  const order: string[] = [];
  const wait = (name: string, deadline: number, priority: 0 | 1 = PRIORITY.normal) =>
    slots.acquire(deadline, undefined, priority).then((release) => {
      order.push(name);
      release();
    });
  const repeatLate = wait('repeat-late', clock.now + 10_000, PRIORITY.low);
  const repeatTight = wait('repeat-tight', clock.now + 250, PRIORITY.low);
  const first = wait('first', clock.now + 10_000);
  // first goes ahead of both repeats: repeat-tight is now second, 200 ms of waiting and 100 of call > 250.
  await t.throwsAsync(repeatTight, { instanceOf: FreeIpaSaturatedError });
  t.deepEqual(slots.stats.queuedByPriority, { [PRIORITY.normal]: 1, [PRIORITY.low]: 1 });
  held();
  await Promise.all([first, repeatLate]);
  t.deepEqual(order, ['first', 'repeat-late']);
  t.deepEqual(slots.stats.shed, { [PRIORITY.normal]: 0, [PRIORITY.low]: 1 });
});

test('Semaphore: a waiter whose turn comes too late for one call is refused then, not sent to time out', async (t) => {
  const { slots, clock } = await timedSlots(1, 100);
  const held = await slots.acquire(clock.now + 60_000);
  const waiting = slots.acquire(clock.now + 250);
  clock.now += 200; // the call ahead took longer than expected
  held();
  await t.throwsAsync(waiting, { instanceOf: FreeIpaSaturatedError });
  t.is(slots.inFlight, 0, 'the slot went back, nobody holds it');
});
