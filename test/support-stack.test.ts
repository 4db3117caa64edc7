/**
 * The test servers themselves: a real MIT KDC that issues (and lets expire)
 * tickets, a real 389 Directory Server with FreeIPA's tree, schema and access rules, and the
 * TLS material they use. Other tests build on these, so their guarantees are
 * checked here.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Attribute, Change, Client, InvalidCredentialsError, NoSuchObjectError, ObjectClassViolationError } from 'ldapts';
import { startKdc, type Kdc } from './support/kdc.js';
import { startDirSrv, type DirSrv } from './support/dirsrv.js';
import { makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

let kdc: Kdc;
let dirsrv: DirSrv;

test.before(async () => {
  [kdc, dirsrv] = await Promise.all([startKdc(), startDirSrv()]);
});

test.after.always(async () => {
  await Promise.allSettled([kdc?.stop(), dirsrv?.stop()]);
});

const ccache = (k: Kdc) => ({ ...k.env(), KRB5CCNAME: `FILE:${join(k.dir, `cc-${randomUUID()}`)}` });

async function rootClient(s: DirSrv): Promise<Client> {
  const client = new Client({ url: s.url, timeout: 10_000, connectTimeout: 5_000 });
  await client.bind(s.rootDn, s.rootPassword);
  return client;
}

/** A host entry as FreeIPA's host_add writes it with an OTP (reference/freeipa-api.md 4.2). */
function otpHost(s: DirSrv, fqdn: string, otp: string) {
  return {
    dn: `fqdn=${fqdn},cn=computers,cn=accounts,${s.suffix}`,
    attrs: {
      objectClass: ['top', 'ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice', 'ieee802device', 'ipasshhost', 'ipaSshGroupOfPubKeys'],
      fqdn,
      cn: fqdn,
      serverHostName: fqdn.split('.')[0]!,
      ipaUniqueID: randomUUID(),
      managedBy: `fqdn=${fqdn},cn=computers,cn=accounts,${s.suffix}`,
      description: `novajoin:v1 instance=${randomUUID()} project=p1 gen=1 issued=1700000000`,
      userPassword: otp,
    },
  };
}

// ---------------------------------------------------------------- KDC

test('the KDC issues a TGT for a keytab over TCP', async (t) => {
  await kdc.addPrincipal('host/vm1.example.test');
  t.true(await kdc.hasPrincipal('host/vm1.example.test'));
  const keytab = await kdc.keytab(['host/vm1.example.test']);
  const env = ccache(kdc);
  await runCommand('kinit', ['-kt', keytab, 'host/vm1.example.test'], { env });
  const { stdout } = await runCommand('klist', [], { env });
  t.regex(stdout, /Default principal: host\/vm1\.example\.test@EXAMPLE\.TEST/);
  t.regex(stdout, /krbtgt\/EXAMPLE\.TEST@EXAMPLE\.TEST/);
  // -norandkey: a second keytab of the same principal holds the same key, so the first still works.
  await kdc.keytab(['host/vm1.example.test']);
  await runCommand('kinit', ['-kt', keytab, 'host/vm1.example.test'], { env });
});

test('password principals: kinit with the password, not another; setPassword changes it', async (t) => {
  await kdc.addPrincipal('admin', { password: 'Secret123' });
  const env = ccache(kdc);
  await runCommand('kinit', ['admin'], { env, input: 'Secret123\n' });
  await t.throwsAsync(runCommand('kinit', ['admin'], { env, input: 'wrong\n' }), { message: /incorrect|Preauthentication failed|Password/i });
  await kdc.setPassword('admin', 'Other456');
  await runCommand('kinit', ['admin'], { env, input: 'Other456\n' });
  await t.throwsAsync(runCommand('kinit', ['admin'], { env, input: 'Secret123\n' }));
});

test('deletePrincipal removes it; a duplicate add fails', async (t) => {
  await kdc.addPrincipal('HTTP/web.example.test');
  await t.throwsAsync(kdc.addPrincipal('HTTP/web.example.test'), { message: /already exists/ });
  await kdc.deletePrincipal('HTTP/web.example.test');
  t.false(await kdc.hasPrincipal('HTTP/web.example.test'));
});

test('a short maximum ticket life really applies: the ticket expires', async (t) => {
  const short = await startKdc({ maxTicketLife: '5s' });
  t.teardown(() => short.stop());
  await short.addPrincipal('host/short.example.test');
  const keytab = await short.keytab(['host/short.example.test']);
  const env = ccache(short);
  await runCommand('kinit', ['-l', '10h', '-kt', keytab, 'host/short.example.test'], { env });
  // klist -s: exit 0 while the cache holds a valid ticket, 1 once it has expired.
  const valid = await runCommand('klist', ['-s'], { env, allowFailure: true });
  t.is(valid.code, 0);
  let expired = false;
  for (let i = 0; i < 60 && !expired; i++) {
    await new Promise((r) => setTimeout(r, 500));
    expired = (await runCommand('klist', ['-s'], { env, allowFailure: true })).code !== 0;
  }
  t.true(expired, 'a 10h request was capped by the 5s realm maximum');
});

test('a principal with a short maxLife gets short tickets in a 10h realm', async (t) => {
  await kdc.addPrincipal('host/brief.example.test', { maxLife: '5s' });
  const keytab = await kdc.keytab(['host/brief.example.test']);
  const env = ccache(kdc);
  await runCommand('kinit', ['-kt', keytab, 'host/brief.example.test'], { env });
  t.is((await runCommand('klist', ['-s'], { env, allowFailure: true })).code, 0);
  let expired = false;
  for (let i = 0; i < 60 && !expired; i++) {
    await new Promise((r) => setTimeout(r, 500));
    expired = (await runCommand('klist', ['-s'], { env, allowFailure: true })).code !== 0;
  }
  t.true(expired);
});

// ---------------------------------------------------------------- TLS material

test('makeTestCa: the server certificate verifies against the CA, not against the other CA', async (t) => {
  const dir = await makeTempDir('novajoin-tls');
  t.teardown(() => removeDir(dir));
  const ca = await makeTestCa(dir, ['ipa.example.test', 'localhost']);
  await runCommand('openssl', ['verify', '-CAfile', ca.caFile, ca.certFile]);
  await t.throwsAsync(runCommand('openssl', ['verify', '-CAfile', ca.otherCaFile, ca.certFile]));
  const { stdout } = await runCommand('openssl', ['x509', '-in', ca.certFile, '-noout', '-ext', 'subjectAltName']);
  t.regex(stdout, /DNS:ipa\.example\.test/);
  t.regex(stdout, /DNS:localhost/);
  t.regex(stdout, /IP Address:127\.0\.0\.1/);
});

// ---------------------------------------------------------------- 389 Directory Server

test('389-ds answers and holds the FreeIPA tree', async (t) => {
  const client = await rootClient(dirsrv);
  t.teardown(() => client.unbind());
  const { searchEntries } = await client.search(dirsrv.suffix, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'] });
  const dns = new Set(searchEntries.map((e) => e.dn.toLowerCase()));
  for (const rdn of [
    '', 'cn=accounts,', 'cn=computers,cn=accounts,', 'cn=services,cn=accounts,', 'cn=users,cn=accounts,',
    'cn=groups,cn=accounts,', 'cn=hostgroups,cn=accounts,', 'cn=roles,cn=accounts,', 'cn=pbac,',
    'cn=permissions,cn=pbac,', 'cn=privileges,cn=pbac,', 'cn=etc,', 'cn=masters,cn=ipa,cn=etc,',
    'cn=ipa.example.test,cn=masters,cn=ipa,cn=etc,', 'cn=dns,', 'idnsname=example.test.,cn=dns,',
    'idnsname=0.0.127.in-addr.arpa.,cn=dns,', 'fqdn=ipa.example.test,cn=computers,cn=accounts,',
  ]) {
    t.true(dns.has(`${rdn}${dirsrv.suffix}`), `missing ${rdn}${dirsrv.suffix}`);
  }
  const zone = await client.search(`idnsname=example.test.,cn=dns,${dirsrv.suffix}`, { scope: 'base' });
  t.is(zone.searchEntries[0]?.idnsZoneActive, 'TRUE');
});

test('the schema takes FreeIPA entries as FreeIPA writes them', async (t) => {
  const client = await rootClient(dirsrv);
  t.teardown(() => client.unbind());
  const s = dirsrv.suffix;
  // Host without OTP: nsHost and krbPrincipal together.
  await client.add(`fqdn=keyed.example.test,cn=computers,cn=accounts,${s}`, {
    objectClass: ['top', 'ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice', 'ieee802device', 'ipasshhost', 'ipaSshGroupOfPubKeys', 'krbprincipalaux', 'krbprincipal'],
    fqdn: 'keyed.example.test', cn: 'keyed.example.test', serverHostName: 'keyed', ipaUniqueID: randomUUID(),
    krbPrincipalName: 'host/keyed.example.test@EXAMPLE.TEST', krbCanonicalName: 'host/keyed.example.test@EXAMPLE.TEST',
    managedBy: `fqdn=keyed.example.test,cn=computers,cn=accounts,${s}`, nsHostLocation: 'rack 1', userClass: 'vm',
    nsOsVersion: '6.1', nsHardwarePlatform: 'x86_64', macAddress: '52:54:00:00:00:01',
  });
  // Enrollment as the 389-ds plugins do it: keys and a timestamp, then the OTP goes.
  const otp = otpHost(dirsrv, 'enrolling.example.test', 'otp-1');
  await client.add(otp.dn, otp.attrs);
  await client.modify(otp.dn, [
    new Change({ operation: 'add', modification: new Attribute({ type: 'objectClass', values: ['krbPrincipalAux'] }) }),
    new Change({ operation: 'add', modification: new Attribute({ type: 'krbPrincipalName', values: ['host/enrolling.example.test@EXAMPLE.TEST'] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'krbPrincipalKey', values: [Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'krbLastPwdChange', values: ['20250101000000Z'] }) }),
    new Change({ operation: 'add', modification: new Attribute({ type: 'enrolledBy', values: [otp.dn] }) }),
    new Change({ operation: 'delete', modification: new Attribute({ type: 'userPassword', values: [] }) }),
  ]);
  // Service.
  await client.add(`krbprincipalname=HTTP/keyed.example.test@EXAMPLE.TEST,cn=services,cn=accounts,${s}`, {
    objectClass: ['krbprincipal', 'krbprincipalaux', 'krbticketpolicyaux', 'ipaobject', 'ipaservice', 'pkiuser', 'ipakrbprincipal', 'top'],
    krbPrincipalName: 'HTTP/keyed.example.test@EXAMPLE.TEST', krbCanonicalName: 'HTTP/keyed.example.test@EXAMPLE.TEST',
    ipaKrbPrincipalAlias: 'HTTP/keyed.example.test@EXAMPLE.TEST', ipaUniqueID: randomUUID(),
    managedBy: `fqdn=keyed.example.test,cn=computers,cn=accounts,${s}`,
  });
  // RBAC: an empty role and privilege (groupOfNames without member, as in 389-ds), a V2 permission.
  await client.add(`cn=novajoin,cn=roles,cn=accounts,${s}`, { objectClass: ['groupofnames', 'nestedgroup', 'top'], cn: 'novajoin', description: 'novajoin' });
  await client.add(`cn=Nova Host Management,cn=privileges,cn=pbac,${s}`, {
    objectClass: ['nestedgroup', 'groupofnames', 'top'], cn: 'Nova Host Management', member: `cn=novajoin,cn=roles,cn=accounts,${s}`,
  });
  await client.add(`cn=System: Modify Hosts,cn=permissions,cn=pbac,${s}`, {
    objectClass: ['top', 'groupofnames', 'ipapermission', 'ipapermissionv2'], cn: 'System: Modify Hosts',
    ipaPermissionType: ['SYSTEM', 'V2', 'MANAGED'], ipaPermRight: 'write', ipaPermBindRuleType: 'permission',
    ipaPermLocation: `cn=computers,cn=accounts,${s}`, ipaPermDefaultAttr: ['description', 'userPassword'],
    member: `cn=Nova Host Management,cn=privileges,cn=pbac,${s}`, memberOf: `cn=Nova Host Management,cn=privileges,cn=pbac,${s}`,
  });
  // DNS records.
  await client.add(`idnsname=keyed,idnsname=example.test.,cn=dns,${s}`, {
    objectClass: ['top', 'idnsrecord'], idnsName: 'keyed', aRecord: '192.0.2.10', aAAARecord: '2001:db8::10', dNSTTL: '300',
    sSHFPRecord: '1 1 0123456789abcdef0123456789abcdef01234567', tXTRecord: 'hello',
  });
  await client.add(`idnsname=10,idnsname=0.0.127.in-addr.arpa.,cn=dns,${s}`, {
    objectClass: ['top', 'idnsrecord'], idnsName: '10', pTRRecord: 'keyed.example.test.',
  });
  // A user as FreeIPA writes admin.
  await client.add(`uid=alice,cn=users,cn=accounts,${s}`, {
    objectClass: ['top', 'person', 'posixaccount', 'krbprincipalaux', 'krbticketpolicyaux', 'inetuser', 'ipaobject', 'ipasshuser', 'ipaSshGroupOfPubKeys'],
    uid: 'alice', cn: 'Alice', sn: 'Alice', uidNumber: '1001', gidNumber: '1001', homeDirectory: '/home/alice',
    krbPrincipalName: 'alice@EXAMPLE.TEST', ipaUniqueID: randomUUID(), memberOf: `cn=admins,cn=groups,cn=accounts,${s}`,
  });
  await client.add(`cn=admins,cn=groups,cn=accounts,${s}`, {
    objectClass: ['top', 'groupofnames', 'nestedgroup', 'ipausergroup', 'ipaobject'], cn: 'admins',
    member: `uid=alice,cn=users,cn=accounts,${s}`, ipaUniqueID: randomUUID(),
  });
  const host = await client.search(`fqdn=keyed.example.test,cn=computers,cn=accounts,${s}`, { scope: 'base' });
  t.is(host.searchEntries[0]?.nsHostLocation, 'rack 1');
  // And refuses what FreeIPA's schema refuses: a host without fqdn.
  await t.throwsAsync(
    client.add(`cn=broken.example.test,cn=computers,cn=accounts,${s}`, {
      objectClass: ['top', 'nshost', 'ipahost'], cn: 'broken.example.test',
    }),
    { instanceOf: ObjectClassViolationError },
  );
});

test('seed: false starts an empty database that the root DN can fill', async (t) => {
  const empty = await startDirSrv({ seed: false });
  t.teardown(() => empty.stop());
  const client = await rootClient(empty);
  t.teardown(() => client.unbind());
  await t.throwsAsync(client.search(empty.suffix, { scope: 'base' }), { instanceOf: NoSuchObjectError });
  await client.add(empty.suffix, { objectClass: ['top', 'domain'], dc: 'example' });
  await client.add(`cn=dns,${empty.suffix}`, { objectClass: ['top', 'nsContainer', 'idnsConfigObject'], cn: 'dns' });
  const { searchEntries } = await client.search(empty.suffix, { scope: 'sub', attributes: ['1.1'] });
  t.is(searchEntries.length, 2);
});

test('a host with an OTP: simple bind as the host works with the OTP, not with another password', async (t) => {
  const client = await rootClient(dirsrv);
  t.teardown(() => client.unbind());
  const otp = `otp-${randomUUID()}`;
  const host = otpHost(dirsrv, 'vm-otp.example.test', otp);
  await client.add(host.dn, host.attrs);

  const asHost = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  await asHost.bind(host.dn, otp);
  await asHost.unbind();
  const wrong = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  await t.throwsAsync(wrong.bind(host.dn, 'not-the-otp'), { instanceOf: InvalidCredentialsError });
  await wrong.unbind();
});

test('nobody reads userPassword or krbPrincipalKey; authenticated binds may test their presence', async (t) => {
  const root = await rootClient(dirsrv);
  t.teardown(() => root.unbind());
  const s = dirsrv.suffix;
  const otp = `otp-${randomUUID()}`;
  const host = otpHost(dirsrv, 'vm-secret.example.test', otp);
  await root.add(host.dn, host.attrs);
  // A FreeIPA system account (reference/freeipa-api.md 4.5).
  const sysDn = `uid=novajoin,cn=sysaccounts,cn=etc,${s}`;
  await root.add(sysDn, { objectClass: ['account', 'simplesecurityobject'], uid: 'novajoin', userPassword: 'sys-secret' });

  const anon = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  const sys = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  const self = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  t.teardown(async () => {
    await Promise.allSettled([anon.unbind(), sys.unbind(), self.unbind()]);
  });
  await sys.bind(sysDn, 'sys-secret');
  await self.bind(host.dn, otp);

  // The value is there (the root DN bypasses the rules; 389-ds stores a hash), so the checks below can fail.
  const asRoot = await root.search(host.dn, { scope: 'base', attributes: ['userPassword'] });
  t.regex(String(asRoot.searchEntries[0]?.userPassword), /^\{[A-Z0-9-]+\}/);
  // "System: Read Hosts" is for authenticated binds: anonymous sees no host at all.
  const anonRead = await anon.search(host.dn, { scope: 'base', attributes: ['*'] }).catch(() => ({ searchEntries: [] }));
  t.is(anonRead.searchEntries.length, 0, 'anonymous binds do not see hosts');
  for (const [who, c] of [['system account', sys], ['the host itself', self]] as const) {
    const { searchEntries } = await c.search(host.dn, { scope: 'base', attributes: ['*', 'userPassword', 'krbPrincipalKey'] });
    t.is(searchEntries.length, 1, `${who} reads the host entry`);
    t.is(searchEntries[0]?.fqdn, 'vm-secret.example.test');
    // ldapts lists every requested attribute, with [] when the server sent no values.
    const secrets = Object.entries(searchEntries[0] ?? {}).filter(
      ([k, v]) => /^(userpassword|krbprincipalkey)$/i.test(k) && (!Array.isArray(v) || v.length > 0),
    );
    t.deepEqual(secrets, [], `${who} must not read userPassword or krbPrincipalKey`);
  }
  const present = await sys.search(host.dn, { scope: 'base', filter: '(userPassword=*)', attributes: ['1.1'] });
  t.is(present.searchEntries.length, 1, 'an authenticated bind sees that the OTP is set');
  const noKey = await sys.search(host.dn, { scope: 'base', filter: '(krbPrincipalKey=*)', attributes: ['1.1'] });
  t.is(noKey.searchEntries.length, 0, 'and that there is no keytab yet');
  const anonPresent = await anon.search(host.dn, { scope: 'base', filter: '(userPassword=*)', attributes: ['1.1'] });
  t.is(anonPresent.searchEntries.length, 0, 'anonymous binds cannot even test for it');
  // DNS is not readable by a system account, as in FreeIPA.
  const dns = await sys.search(`cn=dns,${s}`, { scope: 'sub', attributes: ['1.1'] }).catch(() => ({ searchEntries: [] }));
  t.is(dns.searchEntries.length, 0);
});

test('LDAPS and StartTLS verify against caFile and fail against otherCaFile', async (t) => {
  const ca = await readFile(dirsrv.caFile);
  const other = await readFile(dirsrv.otherCaFile);

  const good = new Client({ url: dirsrv.ldapsUrl, timeout: 5_000, connectTimeout: 5_000, tlsOptions: { ca } });
  await good.bind(dirsrv.rootDn, dirsrv.rootPassword);
  const { searchEntries } = await good.search(dirsrv.suffix, { scope: 'base', attributes: ['1.1'] });
  t.is(searchEntries.length, 1);
  await good.unbind();

  const bad = new Client({ url: dirsrv.ldapsUrl, timeout: 5_000, connectTimeout: 5_000, tlsOptions: { ca: other } });
  const err = await t.throwsAsync(bad.bind(dirsrv.rootDn, dirsrv.rootPassword));
  t.regex(String((err as NodeJS.ErrnoException).code ?? err?.message), /CERT|certificate|SELF_SIGNED|UNABLE_TO/i);

  const starttls = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  await starttls.startTLS({ ca, host: '127.0.0.1' });
  await starttls.bind(dirsrv.rootDn, dirsrv.rootPassword);
  await starttls.unbind();
  const starttlsBad = new Client({ url: dirsrv.url, timeout: 5_000, connectTimeout: 5_000 });
  await t.throwsAsync(starttlsBad.startTLS({ ca: other, host: '127.0.0.1' }));
  await starttlsBad.unbind().catch(() => {});
});
