/**
 * FreeIPA command semantics of the emulator, over real HTTP, once with the
 * memory store and once with entries in a real 389 Directory Server: the host OTP life
 * cycle and the refusal on an enrolled host, DNS checks, finds, batch, DNS
 * records, services and RBAC, with FreeIPA's error codes and messages.
 */
import test, { type ExecutionContext } from 'ava';
import { startIpaEmulator, passwordTableAuthenticators, makeEnv, seedEntries, EnrollmentError, type IpaEmulator } from '../src/ipa-emulator/index.js';
import { ensureEntries, LdapStore } from './support/dirsrv-store.js';
import { makeLookup, rawRequest } from './support/ipa-stack.js';
import { startDirSrv, type DirSrv } from './support/dirsrv.js';

const SERVER = 'ipa.example.test';
const PASSWORD = 'Secret-123';
const REFERER = `https://${SERVER}/ipa/xml`;
const lookup = makeLookup(SERVER);
const V = '2.251';

type Json = { result: any; error: { code: number; name: string; message: string; data: Record<string, unknown> } | null };

class Ipa {
  private cookie = '';
  constructor(readonly emu: IpaEmulator) {}
  private url(path: string) {
    return `http://${SERVER}:${this.emu.port}${path}`;
  }
  async login(): Promise<void> {
    const res = await rawRequest(this.url('/ipa/session/login_password'), {
      method: 'POST',
      lookup,
      body: new URLSearchParams({ user: 'admin', password: PASSWORD }).toString(),
      headers: { Referer: REFERER, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    this.cookie = (res.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
  }
  async call(method: string, args: unknown[] = [], options: Record<string, unknown> = {}, version: string | null = V): Promise<Json & { raw: string }> {
    const res = await rawRequest(this.url('/ipa/session/json'), {
      method: 'POST',
      lookup,
      body: JSON.stringify({ method, params: [args, version === null ? options : { version, ...options }], id: 0 }),
      headers: { Referer: REFERER, 'Content-Type': 'application/json', Cookie: this.cookie },
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    return { ...(JSON.parse(res.body) as Json), raw: res.body };
  }
  /** The command's result, failing the test on a JSON-RPC error. */
  async ok(t: ExecutionContext, method: string, args: unknown[] = [], options: Record<string, unknown> = {}): Promise<any> {
    const r = await this.call(method, args, options);
    t.is(r.error, null, `${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  }
  async fails(t: ExecutionContext, code: number, name: string, method: string, args: unknown[] = [], options: Record<string, unknown> = {}): Promise<Json['error']> {
    const r = await this.call(method, args, options);
    t.is(r.result, null);
    t.is(r.error?.code, code, `${method}: ${JSON.stringify(r.error)}`);
    t.is(r.error?.name, name);
    return r.error;
  }
}

const servers: Record<'memory' | 'ldap', Ipa> = {} as never;
let dirsrv: DirSrv | undefined;

test.before(async () => {
  const authenticators = passwordTableAuthenticators({ admin: PASSWORD }, 'EXAMPLE.TEST');
  // The same reverse zone as the 389-ds seed, so that both stores start alike.
  const memory = await startIpaEmulator({ authenticators, seed: { zones: ['0.0.127.in-addr.arpa'] } });
  await memory.store.add({ dn: `idnsname=1,idnsname=0.0.127.in-addr.arpa.,cn=dns,dc=example,dc=test`, attrs: { objectclass: ['top', 'idnsrecord'], idnsname: ['1'], ptrrecord: [`${SERVER}.`] } });
  dirsrv = await startDirSrv({ domain: 'example.test', realm: 'EXAMPLE.TEST' });
  const env = makeEnv({});
  const store = new LdapStore({ url: dirsrv.url, bindDn: dirsrv.rootDn, bindPassword: dirsrv.rootPassword });
  await ensureEntries(store, seedEntries(env));
  const ldap = await startIpaEmulator({ env, store, authenticators });
  servers.memory = new Ipa(memory);
  servers.ldap = new Ipa(ldap);
  await Promise.all([servers.memory.login(), servers.ldap.login()]);
});

test.after.always(async () => {
  await servers.memory?.emu.close();
  await servers.ldap?.emu.close();
  await dirsrv?.stop();
});

/** Registers a test for both stores. */
function both(title: string, fn: (t: ExecutionContext, ipa: Ipa, kind: 'memory' | 'ldap') => Promise<void>) {
  for (const kind of ['memory', 'ldap'] as const) test(`${kind}: ${title}`, (t) => fn(t, servers[kind], kind));
}

both('host with an OTP: no principal until enrollment, no password on an enrolled host, disable allows a new OTP', async (t, ipa) => {
  const fqdn = 'otp1.example.test';
  const otp = 'Otp-initial-123';
  const add = await ipa.call('host_add', [fqdn], { force: true, userpassword: otp, description: 'd' });
  t.is(add.error, null);
  t.false(add.raw.includes(otp), 'the OTP is never returned');
  t.is(add.result.summary, `Added host "${fqdn}"`);
  t.is(add.result.value, fqdn);
  t.true(add.result.result.has_password);
  t.false(add.result.result.has_keytab);
  t.is(add.result.result.krbprincipalname, undefined);
  t.deepEqual(add.result.result.managedby_host, [fqdn]);
  let stored = await ipa.emu.getHost(fqdn);
  // 389-ds stores a hash of the OTP, as in FreeIPA: what counts is that it binds.
  t.is(stored?.attrs.userpassword?.length, 1);
  t.true(await ipa.emu.store.checkPassword(stored?.dn ?? '', otp));
  t.is(stored?.attrs.krbprincipalname, undefined);
  t.deepEqual(stored?.attrs.serverhostname, ['otp1']);

  const bad = await t.throwsAsync(ipa.emu.simulateEnrollment(fqdn, 'wrong'), { instanceOf: EnrollmentError });
  t.is(bad?.exitCode, 15);
  await ipa.emu.simulateEnrollment(fqdn, otp);
  stored = await ipa.emu.getHost(fqdn);
  t.is(stored?.attrs.userpassword, undefined);
  t.deepEqual(stored?.attrs.krbprincipalname, [`host/${fqdn}@EXAMPLE.TEST`]);
  t.is(stored?.attrs.krbprincipalkey?.length, 1);
  t.is(stored?.attrs.krblastpwdchange?.length, 1);
  t.is(stored?.attrs.enrolledby?.length, 1);
  const shown = await ipa.ok(t, 'host_show', [fqdn]);
  t.true(shown.result.has_keytab);
  t.false(shown.result.has_password);
  t.deepEqual(shown.result.krbcanonicalname, [`host/${fqdn}@EXAMPLE.TEST`]);
  // The OTP is gone from the entry, so it cannot be used twice.
  t.is((await t.throwsAsync(ipa.emu.simulateEnrollment(fqdn, otp), { instanceOf: EnrollmentError }))?.exitCode, 15);

  for (const opts of [{ userpassword: 'Another-1' }, { random: true }]) {
    const err = await ipa.fails(t, 3009, 'ValidationError', 'host_mod', [fqdn], opts);
    t.is(err?.message, "invalid 'password': Password cannot be set on enrolled host.");
    t.deepEqual(err?.data, { name: 'password', error: 'Password cannot be set on enrolled host.' });
  }

  const disabled = await ipa.ok(t, 'host_disable', [fqdn]);
  t.deepEqual(disabled, { result: true, value: fqdn, summary: `Disabled host "${fqdn}"` });
  stored = await ipa.emu.getHost(fqdn);
  t.is(stored?.attrs.krbprincipalkey, undefined);
  t.is(stored?.attrs.krblastpwdchange, undefined);
  const again = await ipa.fails(t, 4010, 'AlreadyInactive', 'host_disable', [fqdn]);
  t.is(again?.message, 'This entry is already disabled');

  const reset = await ipa.ok(t, 'host_mod', [fqdn], { random: true });
  t.regex(reset.result.randompassword, /^[A-Za-z0-9]{22}$/);
  t.true(reset.result.has_password);
  t.false(reset.result.has_keytab);
  t.is(reset.result.dn, undefined, 'host_mod has no dn without all');
  await ipa.emu.simulateEnrollment(fqdn, reset.result.randompassword);
  t.true((await ipa.ok(t, 'host_show', [fqdn])).result.has_keytab);
});

both('host_add without OTP has a principal; random returns the password once and never again', async (t, ipa) => {
  const plain = await ipa.ok(t, 'host_add', ['plain1.example.test'], { force: true });
  t.deepEqual(plain.result.krbprincipalname, ['host/plain1.example.test@EXAMPLE.TEST']);
  t.false(plain.result.has_password);
  t.false(plain.result.has_keytab);
  t.true(plain.result.objectclass.map((o: string) => o.toLowerCase()).includes('krbprincipalaux'));

  const r = await ipa.call('host_add', ['rand1.example.test'], { force: true, random: true, userclass: ['nova'], nshostlocation: 'rack 1', nsosversion: 'Linux' });
  t.is(r.error, null);
  const otp = r.result.result.randompassword as string;
  t.regex(otp, /^[A-Za-z0-9]{22}$/);
  t.deepEqual(r.result.result.userclass, ['nova']);
  t.deepEqual(r.result.result.nshostlocation, ['rack 1']);
  const all = await ipa.call('host_show', ['rand1.example.test'], { all: true });
  t.false(all.raw.includes(otp));
  t.is(all.result.result.userpassword, undefined);
  t.deepEqual(all.result.result.serverhostname, ['rand1']);
  t.deepEqual(all.result.result.managing_host, ['rand1.example.test']);
});

both('host_add checks DNS without force, refuses duplicates, adds records with ip_address', async (t, ipa) => {
  const noDns = await ipa.fails(t, 4019, 'DNSNotARecordError', 'host_add', ['nodns.example.test']);
  t.is(noDns?.message, "Host 'nodns.example.test' does not have corresponding DNS A/AAAA record");
  t.deepEqual(noDns?.data, { hostname: 'nodns.example.test' });

  await ipa.ok(t, 'dnsrecord_add', ['example.test', 'dnsok'], { arecord: ['192.0.2.10'] });
  await ipa.ok(t, 'host_add', ['dnsok.example.test'], {});
  const dup = await ipa.fails(t, 4002, 'DuplicateEntry', 'host_add', ['dnsok.example.test'], { force: true });
  t.is(dup?.message, 'host with name "dnsok.example.test" already exists');
  t.deepEqual(dup?.data, {});

  await ipa.ok(t, 'host_add', ['withip.example.test'], { ip_address: '127.0.0.20' });
  const a = await ipa.ok(t, 'dnsrecord_show', ['example.test', 'withip']);
  t.deepEqual(a.result.arecord, ['127.0.0.20']);
  const ptr = await ipa.ok(t, 'dnsrecord_show', ['0.0.127.in-addr.arpa.', '20']);
  t.deepEqual(ptr.result.ptrrecord, ['withip.example.test.']);
  const taken = await ipa.fails(t, 4002, 'DuplicateEntry', 'host_add', ['withip2.example.test'], { ip_address: '127.0.0.20' });
  t.is(taken?.message, 'IP address 127.0.0.20 is already assigned in domain example.test..');
});

both('host_mod: no change is EmptyModlist, an empty value deletes, the result has no dn', async (t, ipa) => {
  const fqdn = 'mod1.example.test';
  await ipa.ok(t, 'host_add', [fqdn], { force: true, description: 'one' });
  await ipa.fails(t, 4202, 'EmptyModlist', 'host_mod', [fqdn], {});
  const same = await ipa.fails(t, 4202, 'EmptyModlist', 'host_mod', [fqdn], { description: 'one' });
  t.is(same?.message, 'no modifications to be performed');
  const mod = await ipa.ok(t, 'host_mod', [fqdn], { description: 'two', nshostlocation: 'lab' });
  t.is(mod.summary, `Modified host "${fqdn}"`);
  t.deepEqual(mod.result.description, ['two']);
  t.is(mod.result.dn, undefined);
  await ipa.ok(t, 'host_mod', [fqdn], { description: '' });
  t.is((await ipa.emu.getHost(fqdn))?.attrs.description, undefined);
  await ipa.fails(t, 4001, 'NotFound', 'host_mod', ['missing.example.test'], { description: 'x' });
});

both('host_show and host_find: NotFound for show, count 0 for find, filters, sizelimit truncation', async (t, ipa) => {
  const missing = await ipa.fails(t, 4001, 'NotFound', 'host_show', ['ghost.example.test']);
  t.deepEqual(missing?.data, { reason: 'ghost.example.test: host not found' });
  const none = await ipa.ok(t, 'host_find', ['no-such-host-anywhere']);
  t.deepEqual(none, { count: 0, truncated: false, result: [], summary: '0 hosts matched' });

  for (const n of ['fc', 'fa', 'fb']) await ipa.ok(t, 'host_add', [`find-${n}.example.test`], { force: true, description: 'findme' });
  const byShort = await ipa.ok(t, 'host_show', ['find-fa']);
  t.deepEqual(byShort.result.fqdn, ['find-fa.example.test']);
  const found = await ipa.ok(t, 'host_find', ['find-f']);
  t.is(found.count, 3);
  t.deepEqual(found.result.map((h: any) => h.fqdn[0]), ['find-fa.example.test', 'find-fb.example.test', 'find-fc.example.test']);
  t.is(found.summary, '3 hosts matched');
  t.is(found.result[0].managedby_host, undefined, 'no_members by default in find');
  t.is(found.result[0].has_keytab, undefined);
  t.truthy(found.result[0].dn);
  const exact = await ipa.ok(t, 'host_find', [], { fqdn: 'find-fb.example.test' });
  t.is(exact.count, 1);
  t.is(exact.summary, '1 host matched');
  const managed = await ipa.ok(t, 'host_find', [], { man_by_host: ['find-fc.example.test'], no_members: false });
  t.deepEqual(managed.result.map((h: any) => h.fqdn[0]), ['find-fc.example.test']);
  t.deepEqual(managed.result[0].managedby_host, ['find-fc.example.test']);
  const limited = await ipa.ok(t, 'host_find', ['find-f'], { sizelimit: 2 });
  t.is(limited.count, 2);
  t.true(limited.truncated);
  t.deepEqual(limited.messages, [
    {
      type: 'warning',
      name: 'SearchResultTruncated',
      message: 'Search result has been truncated: Configured size limit exceeded',
      code: 13017,
      data: { reason: 'Configured size limit exceeded' },
    },
  ]);
  const keys = await ipa.ok(t, 'host_find', ['find-f'], { pkey_only: true });
  t.deepEqual(Object.keys(keys.result[0]).sort(), ['dn', 'fqdn']);
});

both('host_del: takes its services, --updatedns removes A and PTR, continue collects failures', async (t, ipa) => {
  await ipa.ok(t, 'host_add', ['del1.example.test'], { ip_address: '127.0.0.31' });
  await ipa.ok(t, 'service_add', ['HTTP/del1.example.test'], {});
  const del = await ipa.ok(t, 'host_del', ['del1.example.test'], { updatedns: true });
  t.deepEqual(del, { result: { failed: [] }, value: ['del1.example.test'], summary: 'Deleted host "del1.example.test"' });
  t.is(await ipa.emu.getService('HTTP/del1.example.test'), null);
  await ipa.fails(t, 4001, 'NotFound', 'dnsrecord_show', ['example.test', 'del1']);
  await ipa.fails(t, 4001, 'NotFound', 'dnsrecord_show', ['0.0.127.in-addr.arpa.', '31']);

  await ipa.ok(t, 'host_add', ['del2.example.test'], { force: true });
  const nodns = await ipa.ok(t, 'host_del', ['del2.example.test'], { updatedns: true });
  t.deepEqual(nodns.messages?.map((m: any) => [m.code, m.message]), [[13020, 'DNS record(s) of host del2.example.test could not be removed. (No A, AAAA, SSHFP or PTR records found.)']]);

  await ipa.ok(t, 'host_add', ['del3.example.test'], { force: true });
  await ipa.fails(t, 4001, 'NotFound', 'host_del', [['gone.example.test', 'del3.example.test']]);
  t.truthy(await ipa.emu.getHost('del3.example.test'), 'stopped at the first failure');
  const cont = await ipa.ok(t, 'host_del', [['gone.example.test', 'del3.example.test']], { continue: true });
  t.deepEqual(cont.result, { failed: ['gone.example.test'] });
  t.deepEqual(cont.value, ['del3.example.test']);
  const master = await ipa.fails(t, 3009, 'ValidationError', 'host_del', [SERVER]);
  t.is(master?.message, "invalid 'hostname': An IPA master host cannot be deleted or disabled");
});

both('batch: item errors in FreeIPA shape, never a batch error; items inherit the version', async (t, ipa) => {
  await ipa.ok(t, 'dnsrecord_add', ['example.test', 'batchrec'], { arecord: ['192.0.2.50'] });
  const r = await ipa.ok(t, 'batch', [
    [
      { method: 'host_add/1', params: [['batch1.example.test'], { force: true }] },
      { method: 'host_show', params: [['nope.example.test'], {}] },
      { method: 'dnsrecord_show', params: [['example.test', 'batchrec'], {}] },
      { method: 'host_add', params: [['batch2.example.test'], { password: 'x' }] },
      { method: 'no_such_command', params: [[], {}] },
      { params: [[], {}] },
      { method: 'ping', params: {} },
    ],
  ]);
  t.is(r.count, 7);
  const [add, show, dns, badopt, unknown, nomethod, badparams] = r.results;
  t.is(add.error, null);
  t.is(add.summary, 'Added host "batch1.example.test"');
  t.is(add.messages, undefined, 'the batch version was passed down');
  t.deepEqual(show, { error: 'nope.example.test: host not found', error_code: 4001, error_name: 'NotFound', error_kw: { reason: 'nope.example.test: host not found' } });
  t.deepEqual(dns.result.idnsname, [{ __dns_name__: 'batchrec' }]);
  t.deepEqual(badopt, { error: "invalid 'params': Unknown option: password", error_code: 3008, error_name: 'ConversionError', error_kw: { name: 'params', error: 'Unknown option: password' } });
  t.deepEqual(unknown, { error: "unknown command 'no_such_command'", error_code: 905, error_name: 'CommandError', error_kw: { name: 'no_such_command' } });
  t.deepEqual(nomethod, { error: "'method' is required", error_code: 3007, error_name: 'RequirementError', error_kw: { name: 'method' } });
  t.is(badparams.error_code, 3008);
  t.is(badparams.error, "invalid 'params': must contain a tuple (list, dict)");

  // Without a version the batch (and so its items) answers like FreeIPA to an old client: plain DNS names.
  const old = await ipa.call('batch', [[{ method: 'dnsrecord_show', params: [['example.test', 'batchrec'], {}] }]], {}, null);
  t.deepEqual(old.result.results[0].result.idnsname, ['batchrec']);
  t.is(old.result.messages[0].code, 13001);
});

both('dnsrecord add and del: merge, EmptyModlist, missing zone, AttrValueNotFound, entry removed with its last record', async (t, ipa) => {
  const added = await ipa.ok(t, 'dnsrecord_add', ['example.test', 'rec1'], { arecord: ['192.0.2.1'] });
  t.deepEqual(added.result.idnsname, [{ __dns_name__: 'rec1' }]);
  t.deepEqual(added.value, { __dns_name__: 'rec1' });
  t.deepEqual(added.result.arecord, ['192.0.2.1']);
  const merged = await ipa.ok(t, 'dnsrecord_add', ['example.test', 'rec1'], { a_part_ip_address: '192.0.2.2' });
  t.deepEqual([...merged.result.arecord].sort(), ['192.0.2.1', '192.0.2.2']);
  const same = await ipa.fails(t, 4202, 'EmptyModlist', 'dnsrecord_add', ['example.test', 'rec1'], { arecord: ['192.0.2.1'] });
  t.is(same?.message, 'no modifications to be performed');
  const zone = await ipa.fails(t, 4001, 'NotFound', 'dnsrecord_add', ['nozone.test', 'x'], { arecord: ['192.0.2.1'] });
  t.is(zone?.message, 'nozone.test.: DNS zone not found');
  const noOption = await ipa.fails(t, 3005, 'OptionError', 'dnsrecord_add', ['example.test', 'rec1'], {});
  t.true(noOption?.message.startsWith('No options to add a specific record provided.'));
  await ipa.fails(t, 3009, 'ValidationError', 'dnsrecord_add', ['example.test', 'rec1'], { arecord: ['not-an-ip'] });

  const absent = await ipa.fails(t, 4026, 'AttrValueNotFound', 'dnsrecord_del', ['example.test', 'rec1'], { arecord: ['192.0.2.9'] });
  t.is(absent?.message, "A record does not contain '192.0.2.9'");
  t.deepEqual(absent?.data, { attr: 'A record', value: '192.0.2.9' });
  const partial = await ipa.ok(t, 'dnsrecord_del', ['example.test', 'rec1'], { arecord: ['192.0.2.1'] });
  t.deepEqual(partial.result.arecord, ['192.0.2.2']);
  t.deepEqual(partial.value, [{ __dns_name__: 'rec1' }]);
  t.is(partial.summary, null);
  const last = await ipa.ok(t, 'dnsrecord_del', ['example.test', 'rec1'], { arecord: ['192.0.2.2'] });
  t.deepEqual(last, { result: { failed: [] }, value: [{ __dns_name__: 'rec1' }], summary: 'Deleted record "rec1"' });
  const gone = await ipa.fails(t, 4001, 'NotFound', 'dnsrecord_show', ['example.test', 'rec1']);
  t.is(gone?.message, 'rec1: DNS resource record not found');

  await ipa.ok(t, 'dnsrecord_add', ['example.test', 'rec2'], { a_part_ip_address: '127.0.0.44', a_extra_create_reverse: true });
  t.deepEqual((await ipa.ok(t, 'dnsrecord_show', ['0.0.127.in-addr.arpa', '44'])).result.ptrrecord, ['rec2.example.test.']);
  const dupPtr = await ipa.fails(t, 4002, 'DuplicateEntry', 'dnsrecord_add', ['example.test', 'rec3'], { a_part_ip_address: '127.0.0.44', a_extra_create_reverse: true });
  t.is(dupPtr?.message, 'Reverse record for IP address 127.0.0.44 already exists in reverse zone 0.0.127.in-addr.arpa..');
  const all = await ipa.ok(t, 'dnsrecord_del', ['example.test', 'rec2'], { del_all: true });
  t.is(all.summary, 'Deleted record "rec2"');
  const apex = await ipa.fails(t, 3009, 'ValidationError', 'dnsrecord_del', ['example.test', '@'], { del_all: true });
  t.is(apex?.message, "invalid 'del_all': Zone record '@' cannot be deleted");

  const found = await ipa.ok(t, 'dnsrecord_find', ['example.test'], { idnsname: 'ipa' });
  t.is(found.count, 1);
  t.deepEqual(found.result[0].arecord, ['127.0.0.1']);
  t.is((await ipa.ok(t, 'dnsrecord_find', ['example.test', 'no-such-record-name'])).count, 0);
  const zoneShow = await ipa.ok(t, 'dnszone_show', ['example.test']);
  t.deepEqual(zoneShow.result.idnsname, [{ __dns_name__: 'example.test.' }]);
  t.is((await ipa.ok(t, 'dns_is_enabled')).result, true);
  const plain = await ipa.call('dnsrecord_show', ['example.test', 'ipa'], {}, '2.51');
  t.deepEqual(plain.result.result.idnsname, ['ipa']);
});

both('services: principal checks, host checks, managedBy, add_host/remove_host, del, find', async (t, ipa) => {
  await ipa.ok(t, 'host_add', ['svc1.example.test'], { force: true });
  await ipa.ok(t, 'host_add', ['svc2.example.test'], { force: true });
  const added = await ipa.ok(t, 'service_add', ['HTTP/svc1.example.test'], { force: true });
  t.is(added.value, 'HTTP/svc1.example.test@EXAMPLE.TEST');
  t.is(added.summary, 'Added service "HTTP/svc1.example.test@EXAMPLE.TEST"');
  t.deepEqual(added.result.managedby_host, ['svc1.example.test']);
  t.deepEqual(added.result.krbcanonicalname, ['HTTP/svc1.example.test@EXAMPLE.TEST']);
  const dup = await ipa.fails(t, 4002, 'DuplicateEntry', 'service_add', ['HTTP/svc1.example.test@EXAMPLE.TEST'], { force: true });
  t.is(dup?.message, 'service with name "HTTP/svc1.example.test@EXAMPLE.TEST" already exists');

  const realm = await ipa.fails(t, 4005, 'RealmMismatch', 'service_add', ['HTTP/svc1.example.test@OTHER.TEST'], { force: true });
  t.is(realm?.message, 'The realm for the principal does not match the realm for this IPA server');
  const malformed = await ipa.fails(t, 3008, 'ConversionError', 'service_add', ['HTTP/a@b@c'], { force: true });
  t.is(malformed?.message, "invalid 'canonical_principal': Malformed principal: 'HTTP/a@b@c'");
  await ipa.fails(t, 3009, 'ValidationError', 'service_add', ['justauser'], { force: true });
  const hostSvc = await ipa.fails(t, 4003, 'HostService', 'service_add', ['host/svc1.example.test'], {});
  t.is(hostSvc?.message, 'You must enroll a host in order to create a host service');
  const noHost = await ipa.fails(t, 4001, 'NotFound', 'service_add', ['HTTP/nohost.example.test'], { force: true });
  t.is(noHost?.message, "The host 'nohost.example.test' does not exist to add a service to.");
  await ipa.fails(t, 4019, 'DNSNotARecordError', 'service_add', ['ldap/svc1.example.test'], {});
  const skipped = await ipa.ok(t, 'service_add', ['HTTP/vip.example.test'], { force: true, skip_host_check: true });
  t.is(skipped.result.managedby_host, undefined);

  const addHost = await ipa.ok(t, 'service_add_host', ['HTTP/svc1.example.test'], { host: ['svc2.example.test', 'svc1.example.test', 'nohost.example.test'] });
  t.is(addHost.completed, 1);
  t.deepEqual(addHost.failed, { managedby: { host: [['svc1.example.test', 'This entry is already a member'], ['nohost.example.test', 'no such entry']] } });
  t.deepEqual([...addHost.result.managedby_host].sort(), ['svc1.example.test', 'svc2.example.test']);
  const removeHost = await ipa.ok(t, 'service_remove_host', ['HTTP/svc1.example.test'], { host: ['svc2.example.test', 'svc2.example.test'] });
  t.is(removeHost.completed, 1);
  t.deepEqual(removeHost.failed, { managedby: { host: [['svc2.example.test', 'This entry is not a member']] } });
  await ipa.fails(t, 4001, 'NotFound', 'service_add_host', ['HTTP/missing.example.test'], { host: ['svc1.example.test'] });

  const shown = await ipa.ok(t, 'service_show', ['HTTP/svc1.example.test']);
  t.false(shown.result.has_keytab);
  t.is(shown.summary, null);
  const byHost = await ipa.ok(t, 'service_find', [], { man_by_host: 'svc1.example.test' });
  t.deepEqual(byHost.result.map((s: any) => s.krbcanonicalname[0]), ['HTTP/svc1.example.test@EXAMPLE.TEST']);
  t.is(byHost.summary, '1 service matched');
  t.is((await ipa.ok(t, 'service_find', ['nothing-like-this'])).count, 0);

  await ipa.ok(t, 'service_add', ['nfs/svc1.example.test'], { force: true });
  const del = await ipa.ok(t, 'service_del', [['HTTP/svc1.example.test', 'missing/svc1.example.test', 'nfs/svc1.example.test']], { continue: true });
  t.deepEqual(del.value, ['HTTP/svc1.example.test@EXAMPLE.TEST', 'nfs/svc1.example.test@EXAMPLE.TEST']);
  t.deepEqual(del.result.failed, ['missing/svc1.example.test@EXAMPLE.TEST']);
  const gone = await ipa.fails(t, 4001, 'NotFound', 'service_show', ['HTTP/svc1.example.test']);
  t.is(gone?.message, 'HTTP/svc1.example.test@EXAMPLE.TEST: service not found');
});

both('RBAC: adds refuse duplicates; reverse members and role members report failures per type', async (t, ipa) => {
  const perm = await ipa.ok(t, 'permission_add', ['Modify host password'], { ipapermright: ['write'], type: 'host', attrs: ['userpassword'] });
  t.is(perm.summary, 'Added permission "Modify host password"');
  t.deepEqual(perm.result.attrs, ['userpassword']);
  t.deepEqual(perm.result.type, ['host']);
  const dupPerm = await ipa.fails(t, 4002, 'DuplicateEntry', 'permission_add', ['Modify host password'], { ipapermright: ['write'] });
  t.is(dupPerm?.message, 'permission with name "Modify host password" already exists');
  await ipa.ok(t, 'privilege_add', ['Nova Host Management'], { description: 'Nova Host Management' });
  t.is((await ipa.fails(t, 4002, 'DuplicateEntry', 'privilege_add', ['Nova Host Management']))?.message, 'privilege with name "Nova Host Management" already exists');
  await ipa.ok(t, 'role_add', ['Nova Host Manager'], { description: 'Nova Host Manager' });
  t.is((await ipa.fails(t, 4002, 'DuplicateEntry', 'role_add', ['Nova Host Manager']))?.message, 'role with name "Nova Host Manager" already exists');

  const pp = await ipa.ok(t, 'privilege_add_permission', ['Nova Host Management'], {
    permission: ['Modify host password', 'System: Add Hosts', 'No Such Permission', 'System: Read Hosts'],
  });
  t.is(pp.completed, 2);
  t.deepEqual(pp.failed.member.permission, [
    ['No Such Permission', 'permission not found'],
    ['System: Read Hosts', 'invalid \'permission\': cannot add permission "System: Read Hosts" with bindtype "all" to a privilege'],
  ]);
  t.deepEqual([...pp.result.memberof_permission].sort(), ['Modify host password', 'System: Add Hosts']);
  const again = await ipa.ok(t, 'privilege_add_permission', ['Nova Host Management'], { permission: ['Modify host password'] });
  t.deepEqual(again.failed.member.permission, [['Modify host password', 'This entry is already a member']]);

  const rp = await ipa.ok(t, 'role_add_privilege', ['Nova Host Manager'], { privilege: ['Nova Host Management', 'Missing Privilege'] });
  t.is(rp.completed, 1);
  t.deepEqual(rp.failed, { member: { privilege: [['Missing Privilege', 'privilege not found']] } });
  await ipa.fails(t, 4001, 'NotFound', 'role_add_privilege', ['No Such Role'], { privilege: ['Nova Host Management'] });

  await ipa.ok(t, 'host_add', ['rbac1.example.test'], { force: true });
  await ipa.ok(t, 'service_add', ['nova/rbac1.example.test'], { force: true });
  const rm = await ipa.ok(t, 'role_add_member', ['Nova Host Manager'], { service: ['nova/rbac1.example.test', 'nova/none.example.test'], user: ['nobody'] });
  t.is(rm.completed, 1);
  t.deepEqual(rm.failed, {
    member: {
      user: [['nobody', 'no such entry']],
      group: [],
      host: [],
      hostgroup: [],
      service: [['nova/none.example.test@EXAMPLE.TEST', 'no such entry']],
      idoverrideuser: [],
    },
  });
  const role = await ipa.ok(t, 'role_show', ['Nova Host Manager']);
  t.deepEqual(role.result.member_service, ['nova/rbac1.example.test@EXAMPLE.TEST']);
  t.deepEqual(role.result.memberof_privilege, ['Nova Host Management']);
  t.deepEqual(role.result.description, ['Nova Host Manager']);
  const priv = await ipa.ok(t, 'privilege_show', ['Nova Host Management']);
  t.deepEqual(priv.result.member_role, ['Nova Host Manager']);
  const shownPerm = await ipa.ok(t, 'permission_show', ['Modify host password']);
  t.deepEqual(shownPerm.result.member_privilege, ['Nova Host Management']);
  await ipa.fails(t, 4001, 'NotFound', 'role_show', ['Nope']);
});

both('join (the Kerberos path of ipa-join): gives an OTP host its principal, creates a missing host, answers [dn, entry]', async (t, ipa) => {
  await ipa.ok(t, 'host_add', ['join1.example.test'], { force: true, userpassword: 'Join-otp-1' });
  const r = await ipa.call('join', ['join1.example.test'], { nsosversion: '6.1.0', nshardwareplatform: 'x86_64' }, null);
  t.is(r.error, null);
  const [dn, entry] = r.result as [string, Record<string, unknown>];
  t.regex(dn, /^fqdn=join1\.example\.test,cn=computers,cn=accounts,dc=example,dc=test$/i);
  t.deepEqual(entry.krbprincipalname, ['host/join1.example.test@EXAMPLE.TEST']);
  t.deepEqual(entry.nsosversion, ['6.1.0']);
  t.deepEqual(entry.ipacertificatesubjectbase, ['O=EXAMPLE.TEST']);
  const created = await ipa.call('join', ['join2.example.test'], {}, null);
  t.is(created.error, null);
  t.truthy(await ipa.emu.getHost('join2.example.test'));
  await ipa.fails(t, 3009, 'ValidationError', 'join', ['shortname']);
});
