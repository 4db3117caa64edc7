/**
 * The directory the emulator's commands run against: LDAP-like entries
 * (`dn` + lower-case attribute names -> string values) with get, add,
 * modify, delete and a search by base and simple filter. Two stores
 * implement it: an in-memory one for `novajoin dev`, and one kept in a real
 * 389 Directory Server for the tests. Command semantics are written once, on this interface.
 *
 * Store failures are thrown as the FreeIPA errors ipaldap's error handler
 * produces for the same LDAP result codes, so that commands can re-word them
 * exactly where FreeIPA does (e.g. DuplicateEntry -> 'host with name ...').
 */
import { DatabaseError, DuplicateEntryError, NotFoundError, ObjectclassViolationError } from '../freeipa/errors.js';

export type Attrs = Record<string, string[]>;

export interface IpaEntry {
  readonly dn: string;
  /** Lower-case attribute names; every value a string (binary values are stored base64-free as opaque text). */
  readonly attrs: Attrs;
}

export type Change =
  | { readonly op: 'add'; readonly attr: string; readonly values: readonly string[] }
  /** `values` empty: remove the whole attribute. */
  | { readonly op: 'delete'; readonly attr: string; readonly values: readonly string[] }
  /** `values` empty: remove the attribute if present. */
  | { readonly op: 'replace'; readonly attr: string; readonly values: readonly string[] };

export type Filter =
  | { readonly op: 'eq'; readonly attr: string; readonly value: string }
  | { readonly op: 'present'; readonly attr: string }
  /** `(attr=initial*any1*any2*final)`; an empty part is absent. */
  | { readonly op: 'sub'; readonly attr: string; readonly initial?: string; readonly any?: readonly string[]; readonly final?: string }
  | { readonly op: 'and'; readonly filters: readonly Filter[] }
  | { readonly op: 'or'; readonly filters: readonly Filter[] }
  | { readonly op: 'not'; readonly filter: Filter };

export interface SearchOptions {
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter?: Filter;
  /** 0 or absent: unlimited. */
  readonly sizeLimit?: number;
}

export interface SearchResult {
  readonly entries: IpaEntry[];
  /** The size limit cut the result short. */
  readonly truncated: boolean;
}

export interface IpaStore {
  /** The entry, or null when there is none. */
  get(dn: string): Promise<IpaEntry | null>;
  /** DuplicateEntry if it exists, NotFound('no such entry') if its parent does not. */
  add(entry: IpaEntry): Promise<void>;
  /** NotFound if absent; NoSuchAttribute / ValueExists as LDAP would. */
  modify(dn: string, changes: readonly Change[]): Promise<void>;
  /** NotFound if absent; NotAllowedOnNonLeaf if it has children. */
  delete(dn: string): Promise<void>;
  /** NotFound when the base does not exist. */
  search(base: string, options: SearchOptions): Promise<SearchResult>;
  /** An LDAP simple bind as `dn` with `password`: true when it succeeds. */
  checkPassword(dn: string, password: string): Promise<boolean>;
  /**
   * The same directory as the entry `bindDn` sees it: the directory decides
   * each right of that identity (ACIError for a refused write, entries it may
   * not read are missing). The memory store is permissive and returns itself.
   */
  actingAs(bindDn: string): IpaStore;
  /**
   * The effective write right on `attr` of `dn` for the identity the store
   * acts as (389-ds's get-effective-rights, as ldap2.can_write asks it): how
   * FreeIPA checks virtual operations such as "revoke certificate". NotFound
   * when the entry does not exist. The memory store: always true.
   */
  canWrite(dn: string, attr: string): Promise<boolean>;
  close(): Promise<void>;
}

// ---- Errors with the LDAP result code they stand for (all DatabaseError 4203 on the wire).

export class NoSuchAttributeError extends DatabaseError {}
export class ValueExistsError extends DatabaseError {}
export class NotAllowedOnNonLeafError extends DatabaseError {}

export const storeErrors = {
  exists: () => new DuplicateEntryError('This entry already exists'),
  noSuchObject: () => new NotFoundError('no such entry', { reason: 'no such entry' }),
  noSuchAttribute: (attr: string) =>
    new NoSuchAttributeError(`No such attribute: ${attr}`, { desc: 'No such attribute', info: attr }),
  valueExists: (attr: string) =>
    new ValueExistsError(`Type or value exists: ${attr}`, { desc: 'Type or value exists', info: attr }),
  nonLeaf: () => new NotAllowedOnNonLeafError('Operation not allowed on non-leaf', { desc: 'Operation not allowed on non-leaf', info: '' }),
  objectClass: (info: string) => new ObjectclassViolationError(info, { info }),
};

// ---- Filter builders, so commands never assemble filter strings.

export const f = {
  eq: (attr: string, value: string): Filter => ({ op: 'eq', attr: attr.toLowerCase(), value }),
  present: (attr: string): Filter => ({ op: 'present', attr: attr.toLowerCase() }),
  contains: (attr: string, value: string): Filter => ({ op: 'sub', attr: attr.toLowerCase(), any: [value] }),
  startsWith: (attr: string, value: string): Filter => ({ op: 'sub', attr: attr.toLowerCase(), initial: value }),
  and: (...filters: Filter[]): Filter => ({ op: 'and', filters }),
  or: (...filters: Filter[]): Filter => ({ op: 'or', filters }),
  not: (filter: Filter): Filter => ({ op: 'not', filter }),
};

/** Attributes holding DNs: compared as DNs, and (as in LDAP) with no substring matching. */
export const DN_ATTRIBUTES = new Set(['managedby', 'member', 'memberof', 'enrolledby', 'krbpwdpolicyreference', 'ipapermlocation', 'ipapermtarget', 'memberhost', 'memberuser']);

/** Copies an entry so that callers can never mutate a store's state by accident. */
export function cloneEntry(entry: IpaEntry): IpaEntry {
  const attrs: Attrs = {};
  for (const [k, v] of Object.entries(entry.attrs)) attrs[k] = [...v];
  return { dn: entry.dn, attrs };
}

/** First value of an attribute, or undefined. */
export function first(entry: IpaEntry | null | undefined, attr: string): string | undefined {
  return entry?.attrs[attr]?.[0];
}

export function has(entry: IpaEntry | null | undefined, attr: string): boolean {
  return (entry?.attrs[attr]?.length ?? 0) > 0;
}
