/**
 * The emulator's directory kept in a real 389 Directory Server
 * (test/support/dirsrv.ts): the same IpaStore interface as the memory store,
 * over ldapts bound as the root DN. `actingAs(dn)` is the same connection
 * with the proxied authorization v2 control (RFC 4370) on every operation,
 * so 389-ds evaluates FreeIPA's ACIs for the caller and decides each right,
 * as FreeIPA's framework binding with the caller's ticket does. Searches are
 * sized (limit + 1 tells truncation apart) or paged when unlimited; LDAP
 * result codes become the FreeIPA errors ipaldap maps them to (50 ->
 * ACIError 2100 with 389-ds's own text); the OTP check is a real simple bind.
 */
import {
  AlreadyExistsError,
  AndFilter,
  Attribute,
  Change as LdapChange,
  Client,
  Control,
  InsufficientAccessError,
  EqualityFilter,
  InappropriateAuthError,
  InvalidCredentialsError,
  NoSuchAttributeError as LdapNoSuchAttribute,
  NoSuchObjectError,
  NotAllowedOnNonLeafError as LdapNotAllowedOnNonLeaf,
  NotFilter,
  ObjectClassViolationError,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
  TypeOrValueExistsError,
  UndefinedTypeError,
  UnwillingToPerformError,
  type Entry,
  type Filter as LdapFilter,
} from 'ldapts';
import { ACIError } from '../../src/freeipa/errors.js';
import { storeErrors, type Change, type Filter, type IpaEntry, type IpaStore, type SearchOptions, type SearchResult } from '../../src/ipa-emulator/store.js';

export interface LdapStoreOptions {
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Per-operation deadline (every outbound call has one). Default 10 s. */
  readonly timeoutMs?: number;
  readonly pageSize?: number;
}

function toLdapFilter(filter: Filter): LdapFilter {
  switch (filter.op) {
    case 'eq':
      return new EqualityFilter({ attribute: filter.attr, value: filter.value });
    case 'present':
      return new PresenceFilter({ attribute: filter.attr });
    case 'sub':
      return new SubstringFilter({
        attribute: filter.attr,
        ...(filter.initial !== undefined ? { initial: filter.initial } : {}),
        ...(filter.any ? { any: [...filter.any] } : {}),
        ...(filter.final !== undefined ? { final: filter.final } : {}),
      });
    case 'and':
      return new AndFilter({ filters: filter.filters.map(toLdapFilter) });
    case 'or':
      return new OrFilter({ filters: filter.filters.map(toLdapFilter) });
    case 'not':
      return new NotFilter({ filter: toLdapFilter(filter.filter) });
  }
}

/**
 * Attributes whose values are binary in LDAP (DER certificates) but base64
 * text in the store interface. OpenLDAP insists on the `;binary` transfer
 * option for them.
 */
const BINARY_ATTRS = new Set(['usercertificate']);
const SEARCH_OPTIONS = { attributes: ['*'], explicitBufferAttributes: ['userCertificate', 'userCertificate;binary'] };

function toLdapAttr(attr: string, values: readonly string[]): { type: string; values: string[] | Buffer[] } {
  if (!BINARY_ATTRS.has(attr.toLowerCase())) return { type: attr, values: [...values] };
  return { type: `${attr};binary`, values: values.map((v) => Buffer.from(v, 'base64')) };
}

function fromLdapEntry(entry: Entry): IpaEntry {
  const attrs: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    const key = name.toLowerCase().replace(/;binary$/, '');
    const binary = BINARY_ATTRS.has(key);
    attrs[key] = [...(attrs[key] ?? []), ...list.map((v) => (Buffer.isBuffer(v) ? v.toString(binary ? 'base64' : 'utf8') : v))];
  }
  return { dn: entry.dn, attrs };
}

/**
 * A control whose value is an authzId `dn:<dn>` as a bare octet string: the
 * proxied authorization v2 control (2.16.840.1.113730.3.4.18) and 389-ds's
 * GetEffectiveRights request (1.3.6.1.4.1.42.2.27.9.5.2) both take that form.
 */
class AuthzIdControl extends Control {
  constructor(oid: string, private readonly authzId: string) {
    super(oid, { critical: true });
  }

  protected override writeControl(writer: Parameters<Control['write']>[0]): void {
    writer.writeBuffer(Buffer.from(this.authzId, 'utf8'), 4);
  }
}

const PROXIED_AUTHZ = '2.16.840.1.113730.3.4.18';
const EFFECTIVE_RIGHTS = '1.3.6.1.4.1.42.2.27.9.5.2';

/** ipaldap's error handler, by LDAP result code. */
function mapError(err: unknown, attr = ''): unknown {
  if (err instanceof InsufficientAccessError) {
    // ldapts appends ' Code: 0x32' to the server's diagnostic text; FreeIPA shows the text alone.
    const info = err.message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
    return new ACIError(`Insufficient access: ${info}`, { info });
  }
  if (err instanceof AlreadyExistsError) return storeErrors.exists();
  if (err instanceof NoSuchObjectError) return storeErrors.noSuchObject();
  if (err instanceof LdapNoSuchAttribute) return storeErrors.noSuchAttribute(attr);
  if (err instanceof TypeOrValueExistsError) return storeErrors.valueExists(attr);
  if (err instanceof LdapNotAllowedOnNonLeaf) return storeErrors.nonLeaf();
  if (err instanceof ObjectClassViolationError || err instanceof UndefinedTypeError) {
    return storeErrors.objectClass(err instanceof Error ? err.message : String(err));
  }
  return err;
}

interface Connection {
  readonly client: Client;
  bound: Promise<void> | null;
}

export class LdapStore implements IpaStore {
  private readonly conn: Connection;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  /** Controls sent with every operation: the proxied identity, when there is one. */
  private readonly controls: Control[];

  constructor(
    private readonly opts: LdapStoreOptions,
    shared?: Connection,
    private readonly proxyDn?: string,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pageSize = opts.pageSize ?? 500;
    this.conn = shared ?? {
      client: new Client({ url: opts.url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs, autoRebind: true, strictDN: false }),
      bound: null,
    };
    this.controls = proxyDn ? [new AuthzIdControl(PROXIED_AUTHZ, `dn:${proxyDn}`)] : [];
  }

  private get client(): Client {
    return this.conn.client;
  }

  private ready(): Promise<void> {
    if (!this.conn.bound) {
      this.conn.bound = this.client.bind(this.opts.bindDn, this.opts.bindPassword).catch((err: unknown) => {
        this.conn.bound = null;
        throw err;
      });
    }
    return this.conn.bound;
  }

  /** The directory as `bindDn` sees it: 389-ds checks every operation against that DN's rights. */
  actingAs(bindDn: string): IpaStore {
    return new LdapStore(this.opts, this.conn, bindDn);
  }

  /** ldap2.can_write: `w` among the effective rights on `attr` of `dn`, for the identity this store acts as. */
  async canWrite(dn: string, attr: string): Promise<boolean> {
    await this.ready();
    const subject = this.proxyDn ?? this.opts.bindDn;
    try {
      const { searchEntries } = await this.client.search(
        dn,
        { scope: 'base', filter: '(objectClass=*)', attributes: [attr, 'attributeLevelRights'] },
        [new AuthzIdControl(EFFECTIVE_RIGHTS, `dn: ${subject}`)],
      );
      const raw = searchEntries[0]?.attributeLevelRights;
      const text = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)).join(', ');
      const rights = new RegExp(`(?:^|, )${attr}:([a-z]*)`, 'i').exec(text)?.[1] ?? '';
      return rights.includes('w');
    } catch (err) {
      throw mapError(err);
    }
  }

  async get(dn: string): Promise<IpaEntry | null> {
    await this.ready();
    try {
      const { searchEntries } = await this.client.search(dn, { scope: 'base', filter: '(objectClass=*)', ...SEARCH_OPTIONS }, this.controls);
      const entry = searchEntries[0];
      return entry ? fromLdapEntry(entry) : null;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return null;
      throw mapError(err);
    }
  }

  async add(entry: IpaEntry): Promise<void> {
    await this.ready();
    const attributes = Object.entries(entry.attrs)
      .filter(([, v]) => v.length)
      .map(([k, v]) => new Attribute(toLdapAttr(k, v)));
    try {
      await this.client.add(entry.dn, attributes, this.controls);
    } catch (err) {
      throw mapError(err);
    }
  }

  async modify(dn: string, changes: readonly Change[]): Promise<void> {
    await this.ready();
    // A replace with no values deletes the attribute, and is a no-op when it is absent (RFC 4511 4.6).
    const ldapChanges = changes.map(
      (change) => new LdapChange({ operation: change.op, modification: new Attribute(toLdapAttr(change.attr, change.values)) }),
    );
    if (!ldapChanges.length) return;
    try {
      await this.client.modify(dn, ldapChanges, this.controls);
    } catch (err) {
      throw mapError(err, changes.map((c) => c.attr).join(','));
    }
  }

  async delete(dn: string): Promise<void> {
    await this.ready();
    try {
      await this.client.del(dn, this.controls);
    } catch (err) {
      throw mapError(err);
    }
  }

  async search(base: string, options: SearchOptions): Promise<SearchResult> {
    await this.ready();
    const filter = options.filter ? toLdapFilter(options.filter) : new PresenceFilter({ attribute: 'objectClass' });
    const limit = options.sizeLimit ?? 0;
    try {
      if (limit > 0) {
        // One more than asked for: getting it means the limit truncated the result.
        const { searchEntries } = await this.client.search(base, { scope: options.scope, filter, ...SEARCH_OPTIONS, sizeLimit: limit + 1 }, this.controls);
        const entries = searchEntries.map(fromLdapEntry);
        return { entries: entries.slice(0, limit), truncated: entries.length > limit };
      }
      const { searchEntries } = await this.client.search(base, { scope: options.scope, filter, ...SEARCH_OPTIONS, paged: { pageSize: this.pageSize } }, this.controls);
      // 389-ds answers a paged search under a missing base with success and no entries.
      if (!searchEntries.length) await this.client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }, this.controls);
      return { entries: searchEntries.map(fromLdapEntry), truncated: false };
    } catch (err) {
      throw mapError(err);
    }
  }

  async checkPassword(dn: string, password: string): Promise<boolean> {
    if (!password) return false;
    const client = new Client({ url: this.opts.url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs, strictDN: false });
    try {
      await client.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError || err instanceof InappropriateAuthError || err instanceof UnwillingToPerformError) return false;
      throw err;
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  async close(): Promise<void> {
    // A view shares its parent's connection: only the store that made it closes it.
    if (this.proxyDn) return;
    await this.client.unbind().catch(() => {});
  }
}

/** Adds the entries that are missing (the slapd seed already holds FreeIPA's skeleton). */
export async function ensureEntries(store: IpaStore, entries: readonly IpaEntry[]): Promise<void> {
  for (const entry of entries) {
    if (await store.get(entry.dn)) continue;
    await store.add(entry);
  }
}

/**
 * FreeIPA's ACIs (src/ipa-emulator/permissions/aci.ts) into the `aci`
 * attribute of their entries, as Directory Manager. 389-ds refuses an ACI
 * naming an attribute its schema lacks; the test schema defines only the DNS
 * record types the emulator uses, so the others (which no entry can hold)
 * are left out of `targetattr`.
 */
export async function installAcis(
  dirsrv: { url: string; rootDn: string; rootPassword: string; ldapModify(ldif: string): Promise<void> },
  acis: ReadonlyArray<{ dn: string; aci: string }>,
): Promise<void> {
  const client = new Client({ url: dirsrv.url, timeout: 10_000, connectTimeout: 10_000 });
  const known = new Set<string>();
  try {
    await client.bind(dirsrv.rootDn, dirsrv.rootPassword);
    const { searchEntries } = await client.search('cn=schema', { scope: 'base', attributes: ['attributeTypes'] });
    const raw = searchEntries[0]?.attributeTypes ?? [];
    for (const def of Array.isArray(raw) ? raw : [raw]) {
      const names = /NAME \(?\s*((?:'[^']+'\s*)+)\)?/.exec(String(def))?.[1] ?? '';
      for (const m of names.matchAll(/'([^']+)'/g)) known.add((m[1] ?? '').toLowerCase());
    }
  } finally {
    await client.unbind().catch(() => {});
  }
  const prune = (aci: string) =>
    aci.replace(/\(targetattr (!?=) "([^"]*)"\)/, (_m, op: string, list: string) =>
      `(targetattr ${op} "${list.split(' || ').filter((a) => known.has(a.toLowerCase())).join(' || ')}")`);
  const byDn = new Map<string, string[]>();
  for (const { dn, aci } of acis) byDn.set(dn, [...(byDn.get(dn) ?? []), prune(aci)]);
  const ldif = [...byDn].map(([dn, values]) => [`dn: ${dn}`, 'changetype: modify', 'add: aci', ...values.map((v) => `aci: ${v}`), ''].join('\n')).join('\n');
  await dirsrv.ldapModify(ldif);
}
