/**
 * The LDAP inventory reader against a real 389 Directory Server holding FreeIPA's tree:
 * 2,000 hosts of ours (as the FreeIPA emulator writes them) among others,
 * paged reads, filter values that try to inject, TLS against the right and the
 * wrong CA, a refused bind, and a directory that is down or silent.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Client } from 'ldapts';
import { formatBinding } from '../src/domain/binding.js';
import {
  LdapAuthError,
  LdapInventory,
  LdapInventoryError,
  LdapTlsError,
  LdapUnavailableError,
  type HostRecord,
  type InventoryOptions,
} from '../src/freeipa/ldap-inventory.js';
import { startDirSrv, type DirSrv } from './support/dirsrv.js';
import { freePort } from './support/tmp.js';

const OURS = 2_000;
const SYS_PASSWORD = `sys-${randomUUID()}`;
let dirsrv: DirSrv;
let sysDn: string;
/** fqdn -> instance id of every host of ours. */
const ours = new Map<string, string>();

const hostDn = (fqdn: string) => `fqdn=${fqdn},cn=computers,cn=accounts,${dirsrv.suffix}`;

/** A host as host_add writes it (reference/freeipa-api.md 4.2); every 3rd one enrolled. */
function hostEntry(fqdn: string, description: string | null, i: number): Record<string, string | string[]> {
  const enrolled = i % 3 === 0;
  const entry: Record<string, string | string[]> = {
    objectClass: ['top', 'ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice', 'ieee802device', 'ipasshhost', 'ipaSshGroupOfPubKeys'],
    fqdn,
    cn: fqdn,
    serverHostName: fqdn.split('.')[0]!,
    ipaUniqueID: randomUUID(),
    managedBy: hostDn(fqdn),
    userClass: 'novajoin',
    nsHostLocation: `az-${i % 4}`,
  };
  if (description !== null) entry.description = description;
  if (enrolled) {
    (entry.objectClass as string[]).push('krbprincipalaux');
    entry.krbPrincipalName = `host/${fqdn}@EXAMPLE.TEST`;
    entry.krbCanonicalName = `host/${fqdn}@EXAMPLE.TEST`;
    entry.krbLastPwdChange = '20250101120000Z';
    entry.enrolledBy = hostDn(fqdn);
  } else {
    entry.userPassword = `otp-${randomUUID()}`;
  }
  return entry;
}

async function addAll(client: Client, entries: Array<[string, Record<string, string | string[]>]>): Promise<void> {
  const width = 32;
  for (let i = 0; i < entries.length; i += width) {
    await Promise.all(entries.slice(i, i + width).map(([dn, attrs]) => client.add(dn, attrs)));
  }
}

test.before(async () => {
  dirsrv = await startDirSrv();
  const root = new Client({ url: dirsrv.url, timeout: 30_000, connectTimeout: 5_000 });
  await root.bind(dirsrv.rootDn, dirsrv.rootPassword);
  try {
    const entries: Array<[string, Record<string, string | string[]>]> = [];
    for (let i = 0; i < OURS; i++) {
      const fqdn = `vm-${String(i).padStart(4, '0')}.example.test`;
      const instanceId = randomUUID();
      ours.set(fqdn, instanceId);
      const description = formatBinding({ kind: 'host', instanceId, projectId: 'p1', generation: 1, issuedAt: 1_700_000_000 });
      entries.push([hostDn(fqdn), hostEntry(fqdn, description, i)]);
    }
    // Not ours: no description, someone else's, a longer marker, the marker not first.
    const others: Array<[string, string | null]> = [
      ['manual-1.example.test', null],
      ['manual-2.example.test', 'web server, managed by hand'],
      ['future.example.test', `novajoin:v10 instance=${randomUUID()} project=p1 gen=1 issued=1700000000`],
      ['quoted.example.test', 'see novajoin:v1 instance=x project=p1 gen=1 issued=1'],
    ];
    for (let i = 0; i < 40; i++) others.push([`other-${i}.example.test`, `inventory tag ${i}`]);
    others.forEach(([fqdn, description], i) => entries.push([hostDn(fqdn), hostEntry(fqdn, description, i + 1)]));
    // Something outside cn=computers carrying our marker must not show up as a host.
    const stray = hostEntry('stray.example.test', formatBinding({ kind: 'host', instanceId: randomUUID(), projectId: 'p1', generation: 1, issuedAt: 1 }), 1);
    entries.push([`fqdn=stray.example.test,cn=etc,${dirsrv.suffix}`, stray]);
    // Services: two managed by vm-0001, one by vm-0002 and vm-0003, one by a host not ours.
    const service = (principal: string, managers: string[]): [string, Record<string, string | string[]>] => [
      `krbprincipalname=${principal},cn=services,cn=accounts,${dirsrv.suffix}`,
      {
        objectClass: ['krbprincipal', 'krbprincipalaux', 'krbticketpolicyaux', 'ipaobject', 'ipaservice', 'pkiuser', 'ipakrbprincipal', 'top'],
        krbPrincipalName: principal,
        krbCanonicalName: principal,
        ipaKrbPrincipalAlias: principal,
        ipaUniqueID: randomUUID(),
        managedBy: managers.map(hostDn),
      },
    ];
    entries.push(
      service('HTTP/vm-0001.example.test@EXAMPLE.TEST', ['vm-0001.example.test']),
      service('nfs/vm-0001.example.test@EXAMPLE.TEST', ['vm-0001.example.test']),
      service('HTTP/vip.example.test@EXAMPLE.TEST', ['vm-0002.example.test', 'vm-0003.example.test']),
      service('HTTP/manual-1.example.test@EXAMPLE.TEST', ['manual-1.example.test']),
    );
    sysDn = `uid=novajoin,cn=sysaccounts,cn=etc,${dirsrv.suffix}`;
    entries.push([sysDn, { objectClass: ['account', 'simplesecurityobject'], uid: 'novajoin', userPassword: SYS_PASSWORD }]);
    await addAll(root, entries);
  } finally {
    await root.unbind();
  }
});

test.after.always(async () => {
  await dirsrv?.stop();
});

function options(over: Partial<InventoryOptions> = {}): InventoryOptions {
  return { url: dirsrv.url, baseDn: dirsrv.suffix, pageSize: 100, timeoutMs: 5_000, ...over };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('paged read returns exactly our 2,000 hosts, over many pages', async (t) => {
  const inv = new LdapInventory(options({ bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  const hosts = await collect(inv.hosts());
  t.is(hosts.length, OURS);
  t.deepEqual(hosts.map((h) => h.fqdn).sort(), [...ours.keys()].sort());
  t.is(new Set(hosts.map((h) => h.dn.toLowerCase())).size, OURS, 'no host twice');
  // 2,000 ours plus the near misses the filter lets through, 100 per page.
  t.true(inv.stats.pages >= OURS / 100, `pages fetched: ${inv.stats.pages}`);
  t.true(inv.stats.entries >= OURS);
});

test('a host record carries the binding and the enrollment state', async (t) => {
  // FreeIPA shows hosts to authenticated binds only ("System: Read Hosts").
  const inv = new LdapInventory(options({ bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  const [enrolled] = await collect(inv.hosts({ fqdn: 'vm-0003.example.test' }));
  const [waiting] = await collect(inv.hosts({ fqdn: 'vm-0004.example.test' }));
  t.like(enrolled, {
    dn: hostDn('vm-0003.example.test'),
    fqdn: 'vm-0003.example.test',
    userClass: ['novajoin'],
    nsHostLocation: 'az-3',
    krbPrincipalName: ['host/vm-0003.example.test@EXAMPLE.TEST'],
    krbLastPwdChange: '20250101120000Z',
    managedBy: [hostDn('vm-0003.example.test')],
  } satisfies Partial<HostRecord>);
  t.is(enrolled?.description[0], formatBinding({ kind: 'host', instanceId: ours.get('vm-0003.example.test')!, projectId: 'p1', generation: 1, issuedAt: 1_700_000_000 }));
  t.like(waiting, { fqdn: 'vm-0004.example.test', krbPrincipalName: [], krbLastPwdChange: null });
  // No secret ever comes back, not even to an authenticated reader.
  t.false(JSON.stringify([enrolled, waiting]).includes('otp-'));
});

test('fqdn values are data, never filter syntax', async (t) => {
  const inv = new LdapInventory(options({ bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  t.is((await collect(inv.hosts({ fqdn: 'vm-0001.example.test' }))).length, 1);
  for (const fqdn of ['*)(objectClass=*', 'x)(|(fqdn=*', '*', 'vm-0001*', 'vm-0001.example.test)(fqdn=*', '\\2a', '']) {
    t.deepEqual(await collect(inv.hosts({ fqdn })), [], `fqdn ${JSON.stringify(fqdn)} must match nothing`);
  }
  // A prefix with filter characters is data too.
  t.deepEqual(await collect(inv.hosts({ descriptionPrefix: '*' })), []);
  t.deepEqual(await collect(inv.hosts({ descriptionPrefix: 'novajoin:v1*)(objectClass=*' })), []);
});

test('services: all of them, or only those managed by given hosts', async (t) => {
  const inv = new LdapInventory(options({ pageSize: 2, bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  const all = await collect(inv.services());
  t.deepEqual(all.map((s) => s.principal).sort(), [
    'HTTP/manual-1.example.test@EXAMPLE.TEST',
    'HTTP/vip.example.test@EXAMPLE.TEST',
    'HTTP/vm-0001.example.test@EXAMPLE.TEST',
    'nfs/vm-0001.example.test@EXAMPLE.TEST',
  ]);
  const mine = await collect(inv.services({ managedByDns: [hostDn('vm-0001.example.test'), hostDn('vm-0002.example.test'), hostDn('vm-0003.example.test')] }));
  t.deepEqual(mine.map((s) => s.principal).sort(), [
    'HTTP/vip.example.test@EXAMPLE.TEST',
    'HTTP/vm-0001.example.test@EXAMPLE.TEST',
    'nfs/vm-0001.example.test@EXAMPLE.TEST',
  ]);
  const vip = mine.find((s) => s.principal.startsWith('HTTP/vip'));
  t.deepEqual(vip?.managedBy.map((d) => d.toLowerCase()).sort(), [hostDn('vm-0002.example.test'), hostDn('vm-0003.example.test')].map((d) => d.toLowerCase()));
  // Many hosts (more than one filter chunk), each service once.
  const many = [...ours.keys()].slice(0, 450).map(hostDn);
  const fromMany = await collect(inv.services({ managedByDns: many }));
  t.is(fromMany.length, 3);
  t.deepEqual(await collect(inv.services({ managedByDns: [] })), []);
  t.deepEqual(await collect(inv.services({ managedByDns: ['fqdn=*)(objectClass=*,cn=computers'] })), []);
});

test('an anonymous bind sees no host and no service, as in FreeIPA', async (t) => {
  const inv = new LdapInventory(options());
  t.teardown(() => inv.close());
  t.deepEqual(await collect(inv.hosts()), []);
  t.deepEqual(await collect(inv.services()), []);
});

test('LDAPS verified against the CA file works', async (t) => {
  const inv = new LdapInventory(options({ url: dirsrv.ldapsUrl, caFile: dirsrv.caFile, bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  t.is((await collect(inv.hosts())).length, OURS);
});

test('StartTLS verified against the CA file works', async (t) => {
  const inv = new LdapInventory(options({ starttls: true, caFile: dirsrv.caFile, bindDn: sysDn, bindPassword: SYS_PASSWORD }));
  t.teardown(() => inv.close());
  t.is((await collect(inv.hosts({ fqdn: 'vm-0010.example.test' }))).length, 1);
});

test('several LDAP servers (FreeIPA replicas): one that cannot be reached is skipped, the next one answers', async (t) => {
  const inv = new LdapInventory(options({ url: 'ldap://127.0.0.1:1', urls: ['ldap://127.0.0.1:1', dirsrv.url], bindDn: sysDn, bindPassword: SYS_PASSWORD, timeoutMs: 2_000 }));
  t.teardown(() => inv.close());
  t.is((await collect(inv.hosts({ fqdn: 'vm-0010.example.test' }))).length, 1);
  // A refusal is not unavailability: a wrong password fails at once instead of trying the others.
  const refused = new LdapInventory(options({ urls: [dirsrv.url, 'ldap://127.0.0.1:1'], bindDn: sysDn, bindPassword: 'wrong' }));
  t.teardown(() => refused.close());
  await t.throwsAsync(() => collect(refused.hosts()), { instanceOf: LdapAuthError });
});

test('LDAPS or StartTLS against the wrong CA: a clear TLS error, no data', async (t) => {
  for (const over of [
    { url: dirsrv.ldapsUrl, caFile: dirsrv.otherCaFile },
    { url: dirsrv.ldapsUrl, caFile: dirsrv.otherCaFile, bindDn: sysDn, bindPassword: SYS_PASSWORD },
    { starttls: true, caFile: dirsrv.otherCaFile, bindDn: sysDn, bindPassword: SYS_PASSWORD },
  ]) {
    const inv = new LdapInventory(options(over));
    const err = await t.throwsAsync(collect(inv.hosts()), { instanceOf: LdapTlsError });
    t.regex(err?.message ?? '', /TLS verification failed against the CA file .*other-ca\.pem/);
    await inv.close();
  }
});

test('a wrong bind password gives LdapAuthError', async (t) => {
  const inv = new LdapInventory(options({ bindDn: sysDn, bindPassword: 'wrong' }));
  t.teardown(() => inv.close());
  const err = await t.throwsAsync(collect(inv.hosts()), { instanceOf: LdapAuthError });
  t.false(err?.message.includes('wrong'), 'the password is not in the message');
  const unknown = new LdapInventory(options({ bindDn: `uid=nobody,cn=sysaccounts,cn=etc,${dirsrv.suffix}`, bindPassword: 'x' }));
  await t.throwsAsync(collect(unknown.services()), { instanceOf: LdapAuthError });
  await unknown.close();
});

test('a DN without a password is refused up front (it would be an anonymous bind)', (t) => {
  t.throws(() => new LdapInventory(options({ bindDn: sysDn, bindPassword: '' })), { instanceOf: LdapInventoryError });
  t.throws(() => new LdapInventory(options({ url: 'http://127.0.0.1:1' })), { instanceOf: LdapInventoryError });
  t.throws(() => new LdapInventory(options({ pageSize: 0 })), { instanceOf: LdapInventoryError });
});

test('nothing listening: LdapUnavailableError', async (t) => {
  const port = await freePort();
  for (const over of [{}, { bindDn: sysDn, bindPassword: SYS_PASSWORD }, { starttls: true, caFile: dirsrv.caFile }]) {
    const inv = new LdapInventory(options({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 2_000, ...over }));
    await t.throwsAsync(collect(inv.hosts()), { instanceOf: LdapUnavailableError });
    await inv.close();
  }
});

test('a server that accepts but never answers: LdapUnavailableError once the deadline passes', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { port } = silent.address() as { port: number };
  for (const over of [
    {},
    { bindDn: sysDn, bindPassword: SYS_PASSWORD },
    { starttls: true, caFile: dirsrv.caFile },
    { url: `ldaps://127.0.0.1:${port}`, caFile: dirsrv.caFile },
  ]) {
    const inv = new LdapInventory(options({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300, ...over }));
    await t.throwsAsync(collect(inv.hosts()), { instanceOf: LdapUnavailableError });
    await inv.close();
  }
});

test('reads keep working across calls, and again after close()', async (t) => {
  const inv = new LdapInventory(options({ bindDn: sysDn, bindPassword: SYS_PASSWORD, pageSize: 500 }));
  t.is((await collect(inv.hosts({ fqdn: 'vm-0100.example.test' }))).length, 1);
  t.is((await collect(inv.services())).length, 4);
  await inv.close();
  t.is((await collect(inv.hosts({ fqdn: 'vm-0101.example.test' }))).length, 1);
  await inv.close();
});
