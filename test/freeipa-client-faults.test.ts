/**
 * The FreeIPA client when FreeIPA misbehaves: refused connections, a server
 * that never answers, HTTP 500, a certificate from another CA, a bounded
 * number of requests in flight. Serial: the emulator's mode is shared.
 */
import test from 'ava';
import { makeLookup, startIpaStack, type IpaStack, stackClientOptions } from './support/ipa-stack.js';
import { FreeIpaClient, type FreeIpaClientOptions } from '../src/freeipa/client.js';
import * as cmd from '../src/freeipa/commands.js';
import { FreeIpaAuthError, FreeIpaSaturatedError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError } from '../src/freeipa/errors.js';
import { until } from './support/until.js';

let stack: IpaStack;

test.before(async () => {
  stack = await startIpaStack({ store: 'memory' });
});

test.afterEach.always(async () => {
  await stack.emulator.setMode('up');
  stack.emulator.setLatency(0);
});

test.after.always(async () => {
  await stack?.stop();
});

function client(t: { teardown: (fn: () => Promise<void>) => void }, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClient {
  const c = new FreeIpaClient(stackClientOptions(stack, overrides));
  t.teardown(() => c.close());
  return c;
}

test.serial('FreeIPA refusing connections: FreeIpaUnavailableError after the bounded retries', async (t) => {
  const c = client(t, { retries: 2 });
  await c.ping();
  await stack.emulator.setMode('refuse');
  const error = await t.throwsAsync(c.ping({ deadline: Date.now() + 10_000 }), { instanceOf: FreeIpaUnavailableError });
  t.false(error instanceof FreeIpaTimeoutError);
  t.regex(error?.message ?? '', /after 3 attempts/);
  t.is(c.stats.retries, 2);
  t.is(c.stats.errors['FreeIpaUnavailableError'], 1);

  // Back up: the same client works again, with the same session.
  await stack.emulator.setMode('up');
  await c.ping();
  t.is(c.stats.logins, 1);
});

test.serial('FreeIPA unreachable before the first login: the login fails with FreeIpaUnavailableError', async (t) => {
  await stack.emulator.setMode('refuse');
  const c = client(t, { retries: 1 });
  await t.throwsAsync(c.ping(), { instanceOf: FreeIpaUnavailableError });
  t.is(c.stats.logins, 2);
  t.is(c.stats.roundTrips, 0);
});

test.serial('FreeIPA hanging: FreeIpaTimeoutError at the caller\'s deadline, not after the retries', async (t) => {
  const c = client(t, { retries: 5 });
  await c.ping();
  await stack.emulator.setMode('hang');
  const deadline = Date.now() + 800;
  await t.throwsAsync(c.ping({ deadline }), { instanceOf: FreeIpaTimeoutError });
  // A timeout is never retried: the budget is gone.
  t.is(c.stats.retries, 0);
  t.is(c.stats.roundTrips, 2);
});

test.serial('HTTP 500 is retried a bounded number of times, then FreeIpaUnavailableError', async (t) => {
  const c = client(t, { retries: 3 });
  await c.ping();
  await stack.emulator.setMode('error500');
  stack.emulator.resetCounters();
  const before = c.stats.roundTrips;
  const error = await t.throwsAsync(c.call(cmd.hostShow(stack.serverName), { deadline: Date.now() + 20_000 }), { instanceOf: FreeIpaUnavailableError });
  t.regex(error?.message ?? '', /HTTP 500/);
  t.is(c.stats.roundTrips - before, 4);
  t.is(c.stats.retries, 3);
  t.is(stack.emulator.counters().requests, 4);

  // With no retries configured, one attempt.
  const once = client(t, { retries: 0 });
  await stack.emulator.setMode('up');
  await once.ping();
  await stack.emulator.setMode('error500');
  await t.throwsAsync(once.ping(), { instanceOf: FreeIpaUnavailableError });
  t.is(once.stats.roundTrips, 2);
});

test.serial('a certificate that does not verify against the CA file: FreeIpaTlsError naming the file, no retries', async (t) => {
  const c = client(t, { caFile: stack.otherCaFile, retries: 3 });
  const error = await t.throwsAsync(c.ping(), { instanceOf: FreeIpaTlsError });
  t.true(error?.message.includes(stack.otherCaFile));
  t.is(c.stats.retries, 0);
  t.is(c.stats.logins, 1);

  // The right CA but a name the certificate does not carry is a TLS error too.
  const wrongName = client(t, { auth: { kind: 'password', user: 'admin', password: stack.adminPassword }, url: `https://wrong.example.test:${stack.port}/ipa`, server: 'wrong.example.test', lookup: makeLookup('wrong.example.test') });
  await t.throwsAsync(wrongName.ping(), { instanceOf: FreeIpaTlsError });

  t.throws(() => new FreeIpaClient({ ...optionsOf(), caFile: '/nonexistent/ca.crt' }), { instanceOf: FreeIpaTlsError, message: /\/nonexistent\/ca\.crt/ });
});

test.serial('requests in flight never exceed maxConcurrency; queued callers keep their deadlines', async (t) => {
  const c = client(t, { maxConcurrency: 2 });
  await c.ping();
  stack.emulator.resetCounters();
  // Two calls hang on the server and hold both slots; a third never reaches
  // FreeIPA: once only one call's time is left before its deadline it is
  // refused as saturated (a timeout the caller can answer 503 to), not sent.
  await stack.emulator.setMode('hang');
  const hung = [c.ping({ deadline: Date.now() + 5_000 }), c.ping({ deadline: Date.now() + 5_000 })].map((p) => p.then(() => null, (e: unknown) => e));
  await until('both calls to reach FreeIPA', async () => stack.emulator.counters().requests, (n) => n >= 2, { timeoutMs: 4_000, intervalMs: 20 });
  t.is(stack.emulator.counters().requests, 2);
  stack.emulator.resetCounters();
  const queued = c.ping({ deadline: Date.now() + 400 });
  await t.throwsAsync(queued, { instanceOf: FreeIpaSaturatedError, message: /saturated/ });
  t.is(stack.emulator.counters().requests, 0);
  for (const error of await Promise.all(hung)) t.true(error instanceof FreeIpaTimeoutError);
});

function optionsOf(): FreeIpaClientOptions {
  return stackClientOptions(stack, {
    auth: { kind: 'password', user: 'admin', password: stack.adminPassword },
    timeoutMs: 5_000,
    retries: 0,
    maxConcurrency: 1,
  });
}

test.serial('close() ends calls in flight and queued with FreeIpaUnavailableError; later calls fail the same way', async (t) => {
  const c = client(t, { maxConcurrency: 1 });
  await c.ping();
  await stack.emulator.setMode('hang');
  const inFlight = c.ping({ deadline: Date.now() + 30_000 }).then(() => null, (e: unknown) => e);
  const queued = c.ping({ deadline: Date.now() + 30_000 }).then(() => null, (e: unknown) => e);
  await new Promise((r) => setTimeout(r, 200));
  await c.close();
  for (const error of await Promise.all([inFlight, queued])) {
    t.true(error instanceof FreeIpaUnavailableError);
    t.false(error instanceof FreeIpaTimeoutError);
  }
  await t.throwsAsync(c.ping(), { instanceOf: FreeIpaUnavailableError, message: /closed/ });
  await c.close();
});

test.serial('a session rejected again right after a fresh login: FreeIpaAuthError after exactly one re-login', async (t) => {
  // Sessions that end as soon as they start: every session call gets 401.
  stack.emulator.setSessionLifetime(0);
  t.teardown(() => stack.emulator.setSessionLifetime(24 * 3600 * 1000));
  const c = client(t);
  const error = await t.throwsAsync(c.ping(), { instanceOf: FreeIpaAuthError });
  t.is(error?.reason, 'session-rejected');
  t.is(c.stats.logins, 2);
  t.is(c.stats.roundTrips, 2);
});
