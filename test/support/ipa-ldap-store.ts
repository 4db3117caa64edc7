/**
 * The emulator's directory kept in a real slapd (test/support/slapd.ts): the
 * same IpaStore interface as the memory store, over ldapts bound as the root
 * DN. Searches are sized (limit + 1 tells truncation apart) or paged when
 * unlimited; LDAP result codes become the FreeIPA errors ipaldap maps them
 * to; the OTP check is a real simple bind as the host.
 */
import {
  AlreadyExistsError,
  AndFilter,
  Attribute,
  Change as LdapChange,
  Client,
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

/** ipaldap's error handler, by LDAP result code. */
function mapError(err: unknown, attr = ''): unknown {
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

export class LdapStore implements IpaStore {
  private readonly client: Client;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private bound: Promise<void> | null = null;

  constructor(private readonly opts: LdapStoreOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pageSize = opts.pageSize ?? 500;
    this.client = new Client({ url: opts.url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs, autoRebind: true, strictDN: false });
  }

  private ready(): Promise<void> {
    if (!this.bound) {
      this.bound = this.client.bind(this.opts.bindDn, this.opts.bindPassword).catch((err: unknown) => {
        this.bound = null;
        throw err;
      });
    }
    return this.bound;
  }

  async get(dn: string): Promise<IpaEntry | null> {
    await this.ready();
    try {
      const { searchEntries } = await this.client.search(dn, { scope: 'base', filter: '(objectClass=*)', ...SEARCH_OPTIONS });
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
      await this.client.add(entry.dn, attributes);
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
      await this.client.modify(dn, ldapChanges);
    } catch (err) {
      throw mapError(err, changes.map((c) => c.attr).join(','));
    }
  }

  async delete(dn: string): Promise<void> {
    await this.ready();
    try {
      await this.client.del(dn);
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
        const { searchEntries } = await this.client.search(base, { scope: options.scope, filter, ...SEARCH_OPTIONS, sizeLimit: limit + 1 });
        const entries = searchEntries.map(fromLdapEntry);
        return { entries: entries.slice(0, limit), truncated: entries.length > limit };
      }
      const { searchEntries } = await this.client.search(base, { scope: options.scope, filter, ...SEARCH_OPTIONS, paged: { pageSize: this.pageSize } });
      return { entries: searchEntries.map(fromLdapEntry), truncated: false };
    } catch (err) {
      throw mapError(err);
    }
  }

  /** Bound as the root DN, which no ACI restricts. */
  async canWrite(_dn: string, _attr: string): Promise<boolean> {
    return true;
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
