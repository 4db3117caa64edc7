/**
 * Ticket expiry: with a KDC whose tickets live 15 s and FreeIPA sessions
 * that end with them (as mod_auth_gssapi's do), the client's next call gets
 * 401, logs in again once, and MIT krb5 gets a fresh TGT from the client
 * keytab by itself (no kinit). Its own file: it needs its own short-lived
 * KDC and waits out one ticket lifetime.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startIpaStack, type IpaStack, stackClientOptions } from './support/ipa-stack.js';
import { FreeIpaClient } from '../src/freeipa/client.js';
import * as cmd from '../src/freeipa/commands.js';

const LIFE_S = 15;

let stack: IpaStack;

test.before(async () => {
  stack = await startIpaStack({ store: 'memory', maxTicketLife: `${LIFE_S}s`, sessionLifetimeMs: LIFE_S * 1000 });
});

test.after.always(async () => {
  await stack?.stop();
});

/** TGTs the KDC issued to the client principal, from its log. */
async function tgtsIssued(): Promise<number> {
  const log = await readFile(join(stack.kdc.dir, 'kdc.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((line) => line.includes('AS_REQ') && line.includes('ISSUE') && line.includes(stack.clientPrincipal)).length;
}

test('after the ticket lifetime the client logs in again once with a fresh ticket from the keytab', async (t) => {
  t.timeout(LIFE_S * 1000 + 30_000);
  const c = new FreeIpaClient(stackClientOptions(stack, { retries: 1, maxConcurrency: 2 }));
  t.teardown(() => c.close());

  await c.call(cmd.hostShow(stack.serverName));
  t.is(c.stats.logins, 1);
  const tgtsBefore = await tgtsIssued();
  t.true(tgtsBefore >= 1);

  await new Promise((r) => setTimeout(r, LIFE_S * 1000 + 1_500));

  const out = await c.call(cmd.hostShow(stack.serverName));
  t.deepEqual(out.result.fqdn, [stack.serverName]);
  t.is(c.stats.logins, 2);
  t.true((await tgtsIssued()) > tgtsBefore, 'MIT krb5 fetched a new TGT from the client keytab');
});
