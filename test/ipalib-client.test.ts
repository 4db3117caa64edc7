/**
 * FreeIPA's own python client (ipalib 4.9, what the `ipa` command runs)
 * against the test FreeIPA, over HTTPS on port 443 with Negotiate and the
 * ipa_session cookie: the commands novajoin uses, answered as FreeIPA
 * answers them, an idle connection that keeps working, and novajoin's own
 * client reading the same state the same way. ipalib only talks to port
 * 443 of a dotted name, so the server and python run in a user and network
 * namespace of their own (test/support/ipalib-netns.ts).
 */
import test from 'ava';
import { copyFile, writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, type IssuedCertificate } from './support/certs.js';
import type { NetnsConfig } from './support/ipalib-netns.js';
import { startKdc, type Kdc } from './support/kdc.js';
import { makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

const realm = 'EXAMPLE.TEST';
const domain = 'example.test';
const serverName = `ipa.${domain}`;
const client = `nova/novajoin.${domain}@${realm}`;
const h1 = `vm1.${domain}`;
const h2 = `vm2.${domain}`;
const service = `HTTP/${h1}@${realm}`;

interface Step {
  command: string;
  result?: Record<string, any>;
  error?: { name: string; code: number; message: string };
}

let dir: string;
let kdc: Kdc;
let hostCert: IssuedCertificate;
let out: { phases: Step[][]; novajoin: { hosts: Record<string, any>; services: Record<string, any> }; counters: Record<string, any> };

test.before(async (t) => {
  // Longer than ava's 2-minute inactivity timeout on a loaded machine.
  t.timeout(300_000);
  dir = await makeTempDir('novajoin-ipalib');
  kdc = await startKdc({ realm });
  await kdc.addPrincipal(`HTTP/${serverName}`);
  await kdc.addPrincipal(client);
  const httpKeytab = await kdc.keytab([`HTTP/${serverName}`], join(dir, 'http.keytab'));
  const clientKeytab = await kdc.keytab([client], join(dir, 'nova.keytab'));
  const ccache = `FILE:${join(dir, 'client.ccache')}`;
  // The namespace has no route to the KDC: the TGT and the HTTP ticket are got here, beforehand.
  const krbEnv = { KRB5_CONFIG: kdc.krb5Conf, KRB5CCNAME: ccache };
  await runCommand('kinit', ['-k', '-t', clientKeytab, client], { env: krbEnv });
  await runCommand('kvno', [`HTTP/${serverName}@${realm}`], { env: krbEnv });
  const tls = await makeTestCa(dir, [serverName]);
  hostCert = await issueCertificate({ caFile: tls.caFile, caKeyFile: tls.caKeyFile }, h1, realm);
  const confDir = join(dir, 'ipa');
  await mkdir(confDir);
  await copyFile(tls.caFile, join(confDir, 'ca.crt'));
  const config: NetnsConfig = {
    dir, serverName, domain, realm, krb5Conf: kdc.krb5Conf, httpKeytab, ccache, confDir,
    tlsCert: tls.certFile, tlsKey: tls.keyFile, caFile: tls.caFile, clientPrincipal: client,
    enroll: { fqdn: h1, password: 'Enroll-Me-123' },
    compare: { hosts: [h1, h2], services: [service] },
    phases: [
      [
        ['ping', [], {}],
        ['host_add', [h1], { random: true, force: true, description: 'novajoin test' }],
        ['host_add', [h2], { force: true }],
        ['host_show', [h1], {}],
        ['host_mod', [h1], { userpassword: 'Enroll-Me-123' }],
        ['service_add', [service], { force: true }],
        ['service_add_host', [service], { host: [h2] }],
        ['dnsrecord_add', [domain, 'vm1'], { arecord: ['192.0.2.11'] }],
        ['service_show', [service], {}],
        ['host_add_cert', [h1], { usercertificate: [hostCert.base64] }],
        ['host_show', [h1], {}],
        ['cert_find', [], { all: true }],
      ],
      [
        ['host_mod', [h1], { userpassword: 'Again-123456' }],
        // Longer than the server's keep-alive timeout: the next call finds its connection closed.
        ['sleep', [6], {}],
        ['host_show', [h1], {}],
        ['host_disable', [h1], {}],
        ['host_del', [h1], { updatedns: true }],
        ['host_show', [h1], {}],
        ['dnsrecord_find', [domain], { idnsname: 'vm1' }],
        ['cert_find', [], { all: true }],
      ],
    ],
  };
  const configFile = join(dir, 'netns.json');
  await writeFile(configFile, JSON.stringify(config));
  const runner = new URL('./support/ipalib-netns.ts', import.meta.url).pathname;
  const { stdout } = await runCommand(
    'unshare',
    ['-rn', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, '--import', 'tsx', runner, configFile],
    { timeoutMs: 180_000 },
  );
  out = JSON.parse(stdout);
});

test.after.always(async () => {
  await kdc?.stop();
  if (dir) await removeDir(dir);
});

const step = (phase: number, command: string, nth = 0): Step => {
  const found = (out.phases[phase] ?? []).filter((s) => s.command === command)[nth];
  if (!found) throw new Error(`no ${command} #${nth} in phase ${phase}`);
  return found;
};

test('ping and host_add --random answer ipalib as FreeIPA does', (t) => {
  t.regex(step(0, 'ping').result?.summary, /^IPA server version 4\.9\.11\. API version 2\.\d+$/);
  const added = step(0, 'host_add').result!;
  t.is(added.value, h1);
  t.regex(added.result.randompassword, /^[A-Za-z0-9]{22}$/);
  t.true(added.result.has_password);
  t.false(added.result.has_keytab);
  t.deepEqual(added.result.description, ['novajoin test']);
});

test('host_show, host_mod --password, service_add, service_add_host and dnsrecord_add through ipalib', (t) => {
  const shown = step(0, 'host_show').result!.result;
  t.deepEqual(shown.fqdn, [h1]);
  t.deepEqual(shown.managedby_host, [h1]);
  t.is(step(0, 'host_mod').error, undefined);
  t.deepEqual(step(0, 'service_add').result!.result.krbprincipalname, [service]);
  const addHost = step(0, 'service_add_host').result!;
  t.is(addHost.completed, 1);
  t.deepEqual(addHost.result.managedby_host, [h1, h2]);
  t.deepEqual(step(0, 'dnsrecord_add').result!.result.arecord, ['192.0.2.11']);
});

test('novajoin reads the state ipalib created exactly as ipalib shows it', (t) => {
  const shown = step(0, 'host_show').result!.result;
  const mine = out.novajoin.hosts[h1];
  t.is(mine.fqdn, shown.fqdn[0]);
  t.is(mine.hasPassword, shown.has_password);
  t.is(mine.hasKeytab, shown.has_keytab);
  t.deepEqual(mine.managedBy, shown.managedby_host);
  const svc = step(0, 'service_show').result!.result;
  t.deepEqual(out.novajoin.services[service].managedBy, svc.managedby_host);
});

test('the password of an enrolled host is refused, then disable and host_del --updatedns work', (t) => {
  t.deepEqual(step(1, 'host_mod').error, { name: 'ValidationError', code: 3009, message: "invalid 'password': Password cannot be set on enrolled host." });
  t.true(step(1, 'host_disable').result!.result);
  t.deepEqual(step(1, 'host_del').result!.value, [h1]);
  t.deepEqual(step(1, 'host_show', 1).error, { name: 'NotFound', code: 4001, message: `${h1}: host not found` });
  t.is(step(1, 'dnsrecord_find').result!.count, 0);
});

test('an ipalib client idle past the keep-alive timeout keeps working', (t) => {
  const shown = step(1, 'host_show', 0);
  t.is(shown.error, undefined);
  t.true(shown.result!.result.has_keytab);
});

// Without a `schema` command ipalib falls back to its API 2.164 plugins, whose cert_show expects the
// pre-4.5 output shape; cert_find's shape is the same in both, so revocation is checked through it.
test('certificates through ipalib: stored, shown with their fields, revoked by the host_disable before the delete', (t) => {
  t.is(step(0, 'host_add_cert').error, undefined);
  const shown = step(0, 'host_show', 1).result!.result;
  t.is(shown.usercertificate.length, 1);
  t.is(shown.subject, `CN=${h1},O=${realm}`);
  t.is(shown.serial_number, String(hostCert.serial));
  t.regex(shown.sha256_fingerprint, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  const before = step(0, 'cert_find').result!;
  t.like(before.result[0], { serial_number: hostCert.serial, revoked: false, status: 'VALID', owner_host: [h1] });
  const listed = step(1, 'cert_find').result!;
  t.is(listed.count, 1);
  t.like(listed.result[0], { serial_number: hostCert.serial, revoked: true, status: 'REVOKED', revocation_reason: 4, cacn: 'ipa' });
});
