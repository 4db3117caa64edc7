import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryStore, makeEnv, seedEntries, startIpaEmulator, type IpaEmulator } from '../src/ipa-emulator/index.js';
import { passwordTableAuthenticators } from '../src/ipa-emulator/dev-auth.js';
import { issueCertificate, type IssuingCa } from './support/certs.js';
import { makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

/** The memory directory, with the virtual operations the test takes away from the caller. */
class RightsStore extends MemoryStore {
  readonly denied = new Set<string>();
  override async canWrite(dn: string, attr: string): Promise<boolean> {
    const op = /^cn=([^,]+),cn=virtual operations,cn=etc,/i.exec(dn)?.[1];
    return !(attr === 'objectclass' && op !== undefined && this.denied.has(op));
  }
}

const env = makeEnv();
const V = { version: '2.230' };
let dir: string;
let ca: IssuingCa;
let otherCa: IssuingCa;
let caPem: Buffer;

test.before(async () => {
  dir = await makeTempDir('novajoin-ca-test');
  const tls = await makeTestCa(dir, [env.serverName]);
  ca = { caFile: tls.caFile, caKeyFile: tls.caKeyFile };
  otherCa = { caFile: tls.otherCaFile, caKeyFile: join(dir, 'other-ca.key') };
  caPem = await readFile(tls.caFile);
});
test.after.always(async () => removeDir(dir));

async function emulator(withCa = true): Promise<{ emu: IpaEmulator; store: RightsStore }> {
  const store = new RightsStore(seedEntries(env));
  const emu = await startIpaEmulator({ env, store, authenticators: passwordTableAuthenticators({}, env.realm), ...(withCa ? { caCertificate: caPem } : {}) });
  return { emu, store };
}

async function ok(emu: IpaEmulator, method: string, args: unknown[] = [], options: Record<string, unknown> = {}) {
  const reply = await emu.rpc(method, args, { ...V, ...options });
  if (reply.error) throw new Error(`${method}: ${reply.error.name}: ${reply.error.message}`);
  return reply.result as Record<string, any>;
}

/** A host with a certificate of its own and one for its HTTP service, as a TLS-everywhere node has. */
async function nodeWithCertificates(emu: IpaEmulator, name: string, issuer = ca) {
  const fqdn = `${name}.${env.domain}`;
  const principal = `HTTP/${fqdn}@${env.realm}`;
  await ok(emu, 'host_add', [fqdn], { force: true });
  await ok(emu, 'service_add', [principal], { force: true });
  const hostCert = await issueCertificate(issuer, fqdn);
  const serviceCert = await issueCertificate(issuer, fqdn);
  await ok(emu, 'host_add_cert', [fqdn], { usercertificate: [{ __base64__: hostCert.base64 }] });
  await ok(emu, 'service_add_cert', [principal], { usercertificate: [serviceCert.base64] });
  return { fqdn, principal, hostCert, serviceCert };
}

test('host_show shows certificates as FreeIPA does: DER on the wire plus the fields of the first one', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, hostCert } = await nodeWithCertificates(emu, 'show1');
  const { result } = await ok(emu, 'host_show', [fqdn]);
  t.deepEqual(result.usercertificate, [{ __base64__: hostCert.base64 }]);
  t.is(result.subject, `CN=${fqdn},O=${env.realm}`);
  t.is(result.issuer, 'CN=novajoin Test CA,O=novajoin tests');
  t.is(result.serial_number, String(hostCert.serial));
  t.is(result.serial_number_hex, `0x${hostCert.serial.toString(16).toUpperCase()}`);
  t.regex(result.valid_not_before, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \d{4} UTC$/);
  const pem = `-----BEGIN CERTIFICATE-----\n${hostCert.base64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  const { stdout } = await runCommand('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem });
  t.is(result.sha256_fingerprint, stdout.trim().split('=')[1]?.toLowerCase());
  t.regex(result.sha1_fingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
});

test('host_del revokes the certificates of the host and of its services (reason 4, superseded)', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, hostCert, serviceCert } = await nodeWithCertificates(emu, 'del1');
  const before = await ok(emu, 'cert_show', [hostCert.serial]);
  t.false(before.result.revoked);
  await ok(emu, 'host_del', [fqdn]);
  t.is(await emu.getHost(fqdn), null);
  for (const serial of [hostCert.serial, serviceCert.serial]) {
    const { result } = await ok(emu, 'cert_show', [serial]);
    t.true(result.revoked);
    t.is(result.revocation_reason, 4);
    t.is(result.cacn, 'ipa');
  }
  const listed = await ok(emu, 'cert_find', [], { all: true });
  const mine = listed.result.filter((c: any) => [hostCert.serial, serviceCert.serial].includes(c.serial_number));
  t.deepEqual(mine.map((c: any) => [c.status, c.revoked, c.revocation_reason]), [['REVOKED', true, 4], ['REVOKED', true, 4]]);
});

test('host_disable revokes and removes the certificates; a second disable has nothing left to do', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, principal, hostCert, serviceCert } = await nodeWithCertificates(emu, 'dis1');
  await ok(emu, 'host_disable', [fqdn]);
  t.is((await emu.getHost(fqdn))?.attrs.usercertificate, undefined);
  t.is((await emu.getService(principal))?.attrs.usercertificate, undefined);
  t.true((await ok(emu, 'cert_show', [hostCert.serial])).result.revoked);
  t.true((await ok(emu, 'cert_show', [serviceCert.serial])).result.revoked);
  t.is((await emu.rpc('host_disable', [fqdn], V)).error?.name, 'AlreadyInactive');
});

test('service_del and service_disable revoke the service certificate only', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const a = await nodeWithCertificates(emu, 'svc1');
  await ok(emu, 'service_disable', [a.principal]);
  t.true((await ok(emu, 'cert_show', [a.serviceCert.serial])).result.revoked);
  t.false((await ok(emu, 'cert_show', [a.hostCert.serial])).result.revoked);
  const b = await nodeWithCertificates(emu, 'svc2');
  await ok(emu, 'service_del', [b.principal]);
  t.true((await ok(emu, 'cert_show', [b.serviceCert.serial])).result.revoked);
  t.false((await ok(emu, 'cert_show', [b.hostCert.serial])).result.revoked);
});

test('without the certificate rights a host with certificates cannot be deleted, and stays', async (t) => {
  const { emu, store } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, hostCert } = await nodeWithCertificates(emu, 'aci1');
  store.denied.add('revoke certificate');
  let reply = await emu.rpc('host_del', [fqdn], V);
  t.like(reply.error, { code: 2100, name: 'ACIError', message: 'Insufficient access: not allowed to perform operation: revoke certificate' });
  store.denied.clear();
  store.denied.add('retrieve certificate');
  reply = await emu.rpc('host_del', [fqdn], V);
  t.like(reply.error, { code: 2100, message: 'Insufficient access: not allowed to perform operation: retrieve certificate' });
  t.not(await emu.getHost(fqdn), null);
  store.denied.clear();
  t.false((await ok(emu, 'cert_show', [hostCert.serial])).result.revoked);
});

test('a host may retrieve and revoke its own certificate without the rights (bind_principal_can_manage_cert)', async (t) => {
  const { emu, store } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, hostCert, serviceCert } = await nodeWithCertificates(emu, 'self1');
  store.denied.add('retrieve certificate');
  store.denied.add('revoke certificate');
  const reply = await emu.rpc('cert_revoke', [hostCert.serial], { ...V, revocation_reason: 1 }, `host/${fqdn}@${env.realm}`);
  t.is(reply.error, null);
  const other = await emu.rpc('cert_revoke', [serviceCert.serial], V, `nova/novajoin.${env.domain}@${env.realm}`);
  t.is(other.error?.code, 2100);
  store.denied.clear();
  t.is((await ok(emu, 'cert_show', [hostCert.serial])).result.revocation_reason, 1);
});

test('a certificate from another CA is left alone: no cacn, nothing revoked, the delete still works', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const { fqdn, hostCert } = await nodeWithCertificates(emu, 'foreign1', otherCa);
  const found = await ok(emu, 'cert_find', [], { host: [fqdn] });
  t.deepEqual(found.result, [{ serial_number: hostCert.serial, serial_number_hex: `0x${hostCert.serial.toString(16).toUpperCase()}` }]);
  await ok(emu, 'host_del', [fqdn]);
  t.is(await emu.getHost(fqdn), null);
  t.is((await emu.rpc('cert_show', [hostCert.serial], V)).error?.name, 'CertificateOperationError');
});

test('cert_revoke refuses reason 7, as FreeIPA does', async (t) => {
  const { emu } = await emulator();
  t.teardown(() => emu.close());
  const { hostCert } = await nodeWithCertificates(emu, 'r7');
  const reply = await emu.rpc('cert_revoke', [hostCert.serial], { ...V, revocation_reason: 7 });
  t.like(reply.error, { code: 4301, message: 'Certificate operation cannot be completed: 7 is not a valid revocation reason' });
});

test('without a CA: delete and disable work, nothing is revoked, cert_show says the CA is not configured', async (t) => {
  const { emu } = await emulator(false);
  t.teardown(() => emu.close());
  t.false((await ok(emu, 'ca_is_enabled')).result);
  const a = await nodeWithCertificates(emu, 'noca1');
  t.like((await emu.rpc('cert_show', [a.hostCert.serial], V)).error, { code: 4001, message: 'CA is not configured' });
  // A host with certificates but no keys and no keyed services: nothing to disable without a CA.
  t.is((await emu.rpc('host_disable', [a.fqdn], V)).error?.name, 'AlreadyInactive');
  t.deepEqual((await emu.getHost(a.fqdn))?.attrs.usercertificate, [a.hostCert.base64]);
  const found = await ok(emu, 'cert_find', [], { host: [a.fqdn] });
  t.is(found.count, 1);
  t.is(found.result[0].certificate, undefined);
  t.is(found.result[0].subject, `CN=${a.fqdn},O=${env.realm}`);
  t.is(found.result[0].revoked, undefined);
  await ok(emu, 'host_del', [a.fqdn]);
  t.is(await emu.getHost(a.fqdn), null);
  t.is(emu.counters().commands.cert_revoke, undefined);
  t.is(emu.ca, null);
});
