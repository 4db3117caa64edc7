/**
 * Resync's LDAP inventory bound as FreeIPA's own clients bind: SASL GSSAPI
 * with the service keytab, through the tests' MIT KDC, into the 389-ds that
 * holds the test FreeIPA's entries under FreeIPA's ACIs (anonymous binds see
 * no host there). The default configuration sees every host; a principal
 * without any role sees them too (FreeIPA's read ACIs for authenticated
 * binds are all it takes); a configuration that would bind anonymously is
 * refused with the fix; a wrong keytab fails with a clear error.
 */
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { loadConfigFile } from '../src/config/load.js';
import { formatBinding } from '../src/domain/binding.js';
import { FreeIpaClient } from '../src/freeipa/client.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { LdapAuthError, LdapInventory, LdapInventoryError } from '../src/freeipa/ldap-inventory.js';
import { silentLogger } from '../src/log/logger.js';
import { startPeriodicResync } from '../src/resync/periodic.js';
import { startIpaStack, stackClientOptions, type IpaStack } from './support/ipa-stack.js';
import { runNovajoin, stackEnv, writeStackConfig, type StackConfigOptions } from './support/novajoin-cli.js';
import { startOpenStack, type OpenStackServers } from './support/openstack-servers.js';

let stack: IpaStack;
let openstack: OpenStackServers;
let dir: string;
let configs = 0;
const LIVE = ['g-one', 'g-two', 'g-three', 'g-four'];

interface JsonPlan {
  summary: { hosts: number };
  items: { kind: string; fqdn: string }[];
}

/** The default [ldap] section: no auth, no bind_dn; the URL names the server (ldap/ipa.example.test). */
async function config(opts: Partial<StackConfigOptions> = {}): Promise<string> {
  const sub = await mkdtemp(join(dir, `c${++configs}-`));
  return writeStackConfig({
    dir: sub,
    stack,
    openstack,
    ...opts,
    unset: ['ldap.auth', 'ldap.bind_dn', 'ldap.bind_password_file', ...(opts.unset ?? [])].filter((key) => !(key in (opts.set ?? {}))),
    set: { 'ldap.url': stack.ldap!.urlByName, ...opts.set },
  });
}

const resync = (file: string) => runNovajoin(['resync', '--json', '--config', file], { env: stackEnv(stack) });

test.before(async () => {
  stack = await startIpaStack();
  openstack = await startOpenStack();
  dir = await mkdtemp(join(tmpdir(), 'novajoin-ldap-gssapi-'));
  const client = new FreeIpaClient(stackClientOptions(stack));
  try {
    const directory = new FreeIpaDirectory({ client, realm: stack.realm, zone: stack.domain });
    const project = openstack.projects.demo.id;
    const binding = (instanceId: string) => formatBinding({ kind: 'host', instanceId, projectId: project, generation: 1, issuedAt: Math.floor(Date.now() / 1000) });
    const ops = LIVE.map((name) => {
      const id = randomUUID();
      openstack.addServer({ id, name, hostname: name, projectId: project, metadata: { ipa_enroll: 'True' } });
      return { op: 'addHost' as const, fqdn: `${name}.${stack.domain}`, otp: randomBytes(20).toString('hex'), description: binding(id) };
    });
    ops.push({ op: 'addHost', fqdn: `g-gone.${stack.domain}`, otp: randomBytes(20).toString('hex'), description: binding(randomUUID()) });
    const written = await directory.write(ops, Date.now() + 30_000);
    if (!written.every((r) => r.ok)) throw new Error(`seeding failed: ${JSON.stringify(written)}`);
  } finally {
    await client.close();
  }
});

test.after.always(async () => {
  await openstack?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('novajoin resync with the default [ldap] section binds with the keytab and sees every host', async (t) => {
  const run = await resync(await config());
  t.is(run.code, 1, run.stderr);
  const plan = JSON.parse(run.stdout) as JsonPlan;
  t.is(plan.summary.hosts, LIVE.length + 1, 'all five hosts of ours');
  t.deepEqual(plan.items.map((i) => [i.kind, i.fqdn]), [['stale-host', 'g-gone.example.test']]);

  // The same directory read anonymously, when asked for: FreeIPA shows it nothing.
  const anonymous = await resync(await config({ set: { 'ldap.auth': 'anonymous' } }));
  t.is(anonymous.code, 0, anonymous.stderr);
  t.is((JSON.parse(anonymous.stdout) as JsonPlan).summary.hosts, 0);
});

test.serial('novajoin check binds as configured and names the DN it bound as', async (t) => {
  const run = await runNovajoin(['check', '--config', await config(), '--timeout', '30'], { env: stackEnv(stack) });
  const line = run.stdout.split('\n').find((l) => l.includes(' LDAP ')) ?? '';
  t.regex(line, /^OK LDAP ldap:\/\/ipa\.example\.test:\d+ with GSSAPI \(keytab .*\) reads cn=computers,cn=accounts,dc=example,dc=test, bound as krbprincipalname=nova\/novajoin\.example\.test@example\.test,cn=services,cn=accounts,dc=example,dc=test$/i, run.stdout);

  const wrong = join(dir, 'other.keytab');
  await stack.kdc.addPrincipal('other/novajoin.example.test');
  await stack.kdc.keytab(['other/novajoin.example.test'], wrong);
  const bad = await runNovajoin(['check', '--config', await config({ set: { 'DEFAULT.keytab': wrong } }), '--timeout', '30'], { env: stackEnv(stack) });
  const failed = bad.stdout.split('\n').find((l) => l.includes(' LDAP ')) ?? '';
  t.regex(failed, /^FAIL LDAP .* with GSSAPI .*nova\/novajoin\.example\.test@EXAMPLE\.TEST.* — check \[DEFAULT\] keytab/, bad.stdout);
});

test.serial('a principal in no role reads every host: FreeIPA\'s read ACIs for authenticated binds are enough', async (t) => {
  const principal = `reader/novajoin.${stack.domain}@${stack.realm}`;
  await stack.kdc.addPrincipal(principal);
  const added = await stack.emulator.rpc('service_add', [principal], { force: true });
  t.falsy(added.error, added.error?.message);
  const keytab = await stack.kdc.keytab([principal], join(dir, 'reader.keytab'));
  const inventory = new LdapInventory({
    url: stack.ldap!.urlByName,
    starttls: true,
    caFile: stack.ldap!.caFile,
    gssapi: { keytab, principal },
    baseDn: stack.suffix,
    pageSize: 2,
    timeoutMs: 20_000,
    lookup: stack.lookup as unknown as LookupFunction,
  });
  try {
    t.regex(await inventory.whoami(), /^krbprincipalname=reader\/novajoin\.example\.test@example\.test,cn=services,/i);
    const hosts = [];
    for await (const host of inventory.hosts()) hosts.push(host.fqdn);
    t.deepEqual(hosts.sort(), [...LIVE, 'g-gone'].map((n) => `${n}.example.test`).sort());
  } finally {
    await inventory.close();
  }
});

test.serial('a configuration that would bind anonymously is refused at start, with the fix', async (t) => {
  const file = await config({ set: { 'ldap.auth': 'simple' } });
  const run = await resync(file);
  t.is(run.code, 2);
  t.regex(run.stderr, /\[ldap\] bind_dn: auth = simple needs bind_dn and bind_password_file .* auth = gssapi \(the default\)/);
  t.is(run.stdout, '');
  const check = await runNovajoin(['check', '--config', file, '--timeout', '30'], { env: stackEnv(stack) });
  t.regex(check.stdout, /^FAIL LDAP .*auth = simple needs bind_dn/m);
  // The listener's periodic resync: refused when it starts, not at its first run.
  const { config: loaded } = loadConfigFile(file);
  t.throws(() => startPeriodicResync({ config: loaded, logger: silentLogger(), intervalMs: 60_000, url: 'amqp://guest:guest@127.0.0.1:5672/', lockQueue: `lock-${randomUUID()}` }), {
    instanceOf: ConfigError,
    message: /auth = simple needs bind_dn/,
  });
});

test.serial('a wrong keytab fails resync with a clear error', async (t) => {
  const garbage = join(dir, 'garbage.keytab');
  await writeFile(garbage, randomBytes(64));
  // A keytab that is not one fails the bind (1); a missing one is a configuration problem found at start (2).
  for (const [keytab, code] of [[garbage, 1], [join(dir, 'missing.keytab'), 2]] as const) {
    const run = await resync(await config({ set: { 'DEFAULT.keytab': keytab } }));
    t.is(run.code, code, run.stderr);
    t.is(run.stdout, '', 'no plan from a failed bind');
    t.regex(run.stderr, /novajoin resync: .*(LDAP bind to ldap:\/\/ipa\.example\.test:\d+ with GSSAPI|keytab)/);
    t.true(run.stderr.includes(keytab), run.stderr);
  }
});

test('GSSAPI needs TLS and the server\'s host name', (t) => {
  const base = { baseDn: 'dc=example,dc=test', pageSize: 10, timeoutMs: 1000, gssapi: { keytab: '/nonexistent' } };
  t.throws(() => new LdapInventory({ ...base, url: 'ldap://ipa.example.test' }), { instanceOf: LdapInventoryError, message: /need TLS/ });
  t.throws(() => new LdapInventory({ ...base, url: 'ldaps://127.0.0.1' }), { instanceOf: LdapInventoryError, message: /host name/ });
  t.notThrows(() => new LdapInventory({ ...base, url: 'ldaps://ipa.example.test' }));
  void LdapAuthError;
});
