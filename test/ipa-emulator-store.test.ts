/**
 * The IpaStore contract both stores must keep (the commands are written once
 * on it): LDAP's add/modify/delete refusals as FreeIPA errors, scopes, size
 * limits, case-insensitive and DN-aware matching, and (for the memory store)
 * indexes that stay right through modifies and deletes.
 */
import test, { type ExecutionContext } from 'ava';
import { DuplicateEntryError, NotFoundError } from '../src/freeipa/errors.js';
import { makeEnv, seedEntries } from '../src/ipa-emulator/layout.js';
import { compileFilter } from '../src/ipa-emulator/filter-match.js';
import { MemoryStore } from '../src/ipa-emulator/memory-store.js';
import { f, NoSuchAttributeError, NotAllowedOnNonLeafError, ValueExistsError, type IpaStore } from '../src/ipa-emulator/store.js';
import { ensureEntries, LdapStore } from './support/dirsrv-store.js';
import { startDirSrv, type DirSrv } from './support/dirsrv.js';

const env = makeEnv({});
const HOSTS = `cn=computers,cn=accounts,${env.suffix}`;
const stores: Record<'memory' | 'ldap', IpaStore> = {} as never;
let dirsrv: DirSrv | undefined;

test.before(async () => {
  stores.memory = new MemoryStore(seedEntries(env));
  dirsrv = await startDirSrv({ domain: env.domain, realm: env.realm });
  const ldap = new LdapStore({ url: dirsrv.url, bindDn: dirsrv.rootDn, bindPassword: dirsrv.rootPassword });
  await ensureEntries(ldap, seedEntries(env));
  stores.ldap = ldap;
});

test.after.always(async () => {
  await stores.ldap?.close();
  await dirsrv?.stop();
});

function both(title: string, fn: (t: ExecutionContext, store: IpaStore) => Promise<void>) {
  for (const kind of ['memory', 'ldap'] as const) test(`${kind}: ${title}`, (t) => fn(t, stores[kind]));
}

const host = (name: string, extra: Record<string, string[]> = {}) => ({
  dn: `fqdn=${name},${HOSTS}`,
  attrs: {
    objectclass: ['top', 'ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice', 'ieee802device', 'ipasshhost'],
    fqdn: [name],
    cn: [name],
    serverhostname: [name.split('.')[0] as string],
    ipauniqueid: [`uid-${name}`],
    ...extra,
  },
});

both('add refuses a duplicate and a missing parent; get returns null for nothing', async (t, store) => {
  await store.add(host('s-add.example.test'));
  await t.throwsAsync(store.add(host('s-add.example.test')), { instanceOf: DuplicateEntryError });
  await t.throwsAsync(store.add({ dn: `fqdn=x.example.test,cn=nowhere,${env.suffix}`, attrs: host('x.example.test').attrs }), { instanceOf: NotFoundError });
  t.is(await store.get(`fqdn=none.example.test,${HOSTS}`), null);
  const got = await store.get(`FQDN=S-ADD.example.test,${HOSTS}`);
  t.deepEqual(got?.attrs.fqdn, ['s-add.example.test']);
});

both('modify: add of an existing value and delete of an absent one fail like LDAP; replace with nothing removes', async (t, store) => {
  const h = host('s-mod.example.test', { description: ['one'] });
  await store.add(h);
  await t.throwsAsync(store.modify(h.dn, [{ op: 'add', attr: 'description', values: ['one'] }]), { instanceOf: ValueExistsError });
  await t.throwsAsync(store.modify(h.dn, [{ op: 'delete', attr: 'l', values: ['x'] }]), { instanceOf: NoSuchAttributeError });
  await t.throwsAsync(store.modify(h.dn, [{ op: 'delete', attr: 'description', values: ['two'] }]), { instanceOf: NoSuchAttributeError });
  // Atomic: a failing change leaves the earlier ones undone.
  await t.throwsAsync(store.modify(h.dn, [{ op: 'replace', attr: 'l', values: ['here'] }, { op: 'delete', attr: 'nsosversion', values: [] }]));
  t.is((await store.get(h.dn))?.attrs.l, undefined);
  await store.modify(h.dn, [{ op: 'replace', attr: 'description', values: [] }, { op: 'replace', attr: 'nshostlocation', values: [] }]);
  t.is((await store.get(h.dn))?.attrs.description, undefined);
  await t.throwsAsync(store.modify(`fqdn=gone.example.test,${HOSTS}`, [{ op: 'replace', attr: 'l', values: ['x'] }]), { instanceOf: NotFoundError });
});

both('delete refuses a non-leaf and a missing entry', async (t, store) => {
  await t.throwsAsync(store.delete(HOSTS), { instanceOf: NotAllowedOnNonLeafError });
  await t.throwsAsync(store.delete(`fqdn=gone.example.test,${HOSTS}`), { instanceOf: NotFoundError });
  const h = host('s-del.example.test');
  await store.add(h);
  await store.delete(h.dn);
  t.is(await store.get(h.dn), null);
});

both('search: scopes, case-insensitive equality, DN values compared as DNs, substrings of DNs as 389-ds matches them', async (t, store) => {
  const a = host('s-srch-a.example.test', { description: ['Alpha Beta'] });
  await store.add(a);
  await store.add(host('s-srch-b.example.test', { managedby: [a.dn.toUpperCase()] }));
  const one = await store.search(HOSTS, { scope: 'one', filter: f.eq('fqdn', 'S-SRCH-A.EXAMPLE.TEST') });
  t.deepEqual(one.entries.map((e) => e.attrs.fqdn?.[0]), ['s-srch-a.example.test']);
  const base = await store.search(HOSTS, { scope: 'base' });
  t.is(base.entries.length, 1);
  const sub = await store.search(env.suffix, { scope: 'sub', filter: f.eq('fqdn', 's-srch-a.example.test') });
  t.is(sub.entries.length, 1);
  t.is((await store.search(env.suffix, { scope: 'one', filter: f.eq('fqdn', 's-srch-a.example.test') })).entries.length, 0);
  const managed = await store.search(HOSTS, { scope: 'one', filter: f.eq('managedby', a.dn) });
  t.deepEqual(managed.entries.map((e) => e.attrs.fqdn?.[0]), ['s-srch-b.example.test']);
  t.is((await store.search(HOSTS, { scope: 'one', filter: f.contains('managedby', 's-srch-a') })).entries.length, 1);
  t.is((await store.search(HOSTS, { scope: 'one', filter: f.contains('description', 'pha be') })).entries.length, 1);
  t.is((await store.search(HOSTS, { scope: 'one', filter: f.and(f.eq('fqdn', 's-srch-a.example.test'), f.not(f.present('description'))) })).entries.length, 0);
  await t.throwsAsync(store.search(`cn=nowhere,${env.suffix}`, { scope: 'one' }), { instanceOf: NotFoundError });
});

both('search: a size limit truncates and says so', async (t, store) => {
  for (const n of [1, 2, 3]) await store.add(host(`s-lim${n}.example.test`, { userclass: ['limit-test'] }));
  const cut = await store.search(HOSTS, { scope: 'one', filter: f.eq('fqdn', 's-lim1.example.test'), sizeLimit: 1 });
  t.deepEqual([cut.entries.length, cut.truncated], [1, false]);
  const limited = await store.search(HOSTS, { scope: 'one', filter: f.startsWith('fqdn', 's-lim'), sizeLimit: 2 });
  t.deepEqual([limited.entries.length, limited.truncated], [2, true]);
  const all = await store.search(HOSTS, { scope: 'one', filter: f.startsWith('fqdn', 's-lim') });
  t.deepEqual([all.entries.length, all.truncated], [3, false]);
});

both('lookups follow modifies and deletes (indexes stay right)', async (t, store) => {
  const a = host('s-idx-a.example.test');
  const b = host('s-idx-b.example.test', { managedby: [a.dn] });
  await store.add(a);
  await store.add(b);
  const byManager = () => store.search(HOSTS, { scope: 'one', filter: f.eq('managedby', a.dn) }).then((r) => r.entries.length);
  t.is(await byManager(), 1);
  await store.modify(b.dn, [{ op: 'delete', attr: 'managedby', values: [a.dn] }]);
  t.is(await byManager(), 0);
  await store.modify(b.dn, [{ op: 'add', attr: 'managedby', values: [a.dn] }]);
  t.is(await byManager(), 1);
  await store.delete(b.dn);
  t.is(await byManager(), 0);
  t.is((await store.search(HOSTS, { scope: 'one', filter: f.eq('fqdn', 's-idx-b.example.test') })).entries.length, 0);
});

both('substring lookups follow modifies and deletes, for every shape of substring filter', async (t, store) => {
  const a = host('s-sub-a.example.test', { description: ['novajoin:v1 instance=7f3c0d2e project=p1'] });
  await store.add(a);
  const count = (filter: Parameters<typeof f.and>[0]) => store.search(HOSTS, { scope: 'one', filter }).then((r) => r.entries.length);
  // host_find's criteria shape: one OR of substrings over several attributes.
  const criteria = (text: string) => f.or(...['fqdn', 'description', 'l', 'managedby'].map((attr) => f.contains(attr, text)));
  t.is(await count(criteria('instance=7f3c0d2e')), 1);
  t.is(await count(criteria('INSTANCE=7F3C')), 1);
  t.is(await count(criteria('instance=7f3c0d2f')), 0);
  t.is(await count(f.contains('description', 'e=')), 1, 'a part shorter than the index keys still matches');
  t.is(await count({ op: 'sub', attr: 'description', initial: 'nova', any: ['instance'], final: '=p1' }), 1);
  t.is(await count({ op: 'sub', attr: 'description', initial: 'instance' }), 0, 'initial anchors at the start');
  t.is(await count({ op: 'sub', attr: 'fqdn', final: 'sub-a.example.test' }), 1);
  await store.modify(a.dn, [{ op: 'replace', attr: 'description', values: ['novajoin:v1 instance=0000aaaa project=p1'] }]);
  t.is(await count(criteria('instance=7f3c0d2e')), 0);
  t.is(await count(criteria('instance=0000aaaa')), 1);
  await store.delete(a.dn);
  t.is(await count(criteria('instance=0000aaaa')), 0);
});

test('memory: indexed searches answer exactly what a scan of every entry answers', async (t) => {
  const store = new MemoryStore(seedEntries(env));
  // A small alphabet makes many values share 3-character keys, the case an intersection can get wrong.
  const word = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 'abc.='[(seed * 7 + i * 13 + (seed >> i)) % 5]).join('');
  for (let i = 0; i < 200; i++) {
    await store.add(host(`s-scan-${i}.example.test`, { description: [word(4 + (i % 9), i)], l: i % 3 ? [word(3, i + 1)] : [] }));
  }
  const scan = (filter: Parameters<typeof compileFilter>[0]) => {
    const match = compileFilter(filter);
    return store.dump().filter((e) => e.dn.includes(HOSTS) && e.dn !== HOSTS && match(e)).map((e) => e.dn).sort();
  };
  let compared = 0;
  for (let i = 0; i < 120; i++) {
    const text = word(1 + (i % 6), i * 31);
    for (const filter of [
      f.contains('description', text),
      f.startsWith('description', text),
      { op: 'sub' as const, attr: 'description', initial: text.slice(0, 2), final: text.slice(2) || undefined },
      f.or(f.contains('description', text), f.contains('l', text)),
      f.and(f.eq('objectclass', 'ipahost'), f.or(f.contains('description', text), f.contains('l', text))),
    ]) {
      const indexed = (await store.search(HOSTS, { scope: 'one', filter })).entries.map((e) => e.dn).sort();
      t.deepEqual(indexed, scan(filter), JSON.stringify(filter));
      compared += indexed.length;
    }
  }
  t.true(compared > 0, 'the filters matched something');
});

both('checkPassword is a bind: the userPassword value works, anything else does not', async (t, store) => {
  const h = host('s-pw.example.test', { userpassword: ['Bulk-1'] });
  await store.add(h);
  t.true(await store.checkPassword(h.dn, 'Bulk-1'));
  t.false(await store.checkPassword(h.dn, 'bulk-1'));
  t.false(await store.checkPassword(h.dn, ''));
  t.false(await store.checkPassword(`fqdn=none.example.test,${HOSTS}`, 'Bulk-1'));
});
