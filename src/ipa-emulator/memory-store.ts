/**
 * The in-process directory used by `novajoin dev`: a map of entries keyed by
 * normalized DN, with the LDAP behaviours the commands rely on (parent must
 * exist, no delete of a non-leaf, add/delete of values fail like LDAP,
 * case-insensitive matching, size limits that truncate).
 */
import { normalizeDn, parentDn, parseDn } from './dn.js';
import {
  cloneEntry,
  DN_ATTRIBUTES,
  storeErrors,
  type Change,
  type Filter,
  type IpaEntry,
  type IpaStore,
  type SearchOptions,
  type SearchResult,
} from './store.js';

const normalizedDns = new Map<string, string>();

/** The comparison form of a value: DNs normalized (memoized: filters compare the same DNs again and again). */
function valueKey(attr: string, value: string): string {
  if (!DN_ATTRIBUTES.has(attr)) return value.toLowerCase();
  let key = normalizedDns.get(value);
  if (key === undefined) {
    key = normalizeDn(value);
    if (normalizedDns.size > 100_000) normalizedDns.clear();
    normalizedDns.set(value, key);
  }
  return key;
}

type Predicate = (entry: IpaEntry) => boolean;

/** Turns a filter into a predicate once per search (values normalized up front, not per entry). */
export function compileFilter(filter: Filter): Predicate {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map(compileFilter);
      return (e) => parts.every((p) => p(e));
    }
    case 'or': {
      const parts = filter.filters.map(compileFilter);
      return (e) => parts.some((p) => p(e));
    }
    case 'not': {
      const inner = compileFilter(filter.filter);
      return (e) => !inner(e);
    }
    case 'present': {
      const attr = filter.attr;
      return (e) => attr === 'objectclass' || (e.attrs[attr]?.length ?? 0) > 0;
    }
    case 'eq': {
      const attr = filter.attr;
      const want = valueKey(attr, filter.value);
      return (e) => (e.attrs[attr] ?? []).some((v) => valueKey(attr, v) === want);
    }
    case 'sub': {
      // DN syntax has no substring matching rule in LDAP: such an assertion is Undefined, i.e. no match.
      if (DN_ATTRIBUTES.has(filter.attr)) return () => false;
      const attr = filter.attr;
      const initial = filter.initial?.toLowerCase();
      const final = filter.final?.toLowerCase();
      const any = (filter.any ?? []).map((x) => x.toLowerCase());
      return (e) =>
        (e.attrs[attr] ?? []).some((raw) => {
          let v = raw.toLowerCase();
          if (initial !== undefined) {
            if (!v.startsWith(initial)) return false;
            v = v.slice(initial.length);
          }
          if (final !== undefined) {
            if (!v.endsWith(final)) return false;
            v = v.slice(0, v.length - final.length);
          }
          for (const part of any) {
            const at = v.indexOf(part);
            if (at < 0) return false;
            v = v.slice(at + part.length);
          }
          return true;
        });
    }
  }
}

export function matchesFilter(entry: IpaEntry, filter: Filter): boolean {
  return compileFilter(filter)(entry);
}

export class MemoryStore implements IpaStore {
  private readonly entries = new Map<string, IpaEntry>();

  /** Seeds entries without parent checks (the tree's roots). */
  constructor(seed: readonly IpaEntry[] = []) {
    for (const entry of seed) this.entries.set(normalizeDn(entry.dn), cloneEntry(entry));
  }

  async get(dn: string): Promise<IpaEntry | null> {
    const entry = this.entries.get(normalizeDn(dn));
    return entry ? cloneEntry(entry) : null;
  }

  async add(entry: IpaEntry): Promise<void> {
    const key = normalizeDn(entry.dn);
    if (this.entries.has(key)) throw storeErrors.exists();
    const parent = parentDn(entry.dn);
    if (parent && !this.entries.has(normalizeDn(parent))) throw storeErrors.noSuchObject();
    const clean = cloneEntry(entry);
    for (const [k, v] of Object.entries(clean.attrs)) if (v.length === 0) delete clean.attrs[k];
    this.entries.set(key, clean);
  }

  async modify(dn: string, changes: readonly Change[]): Promise<void> {
    const key = normalizeDn(dn);
    const current = this.entries.get(key);
    if (!current) throw storeErrors.noSuchObject();
    // LDAP applies a modify atomically: work on a copy, commit at the end.
    const next = cloneEntry(current);
    for (const change of changes) {
      const attr = change.attr.toLowerCase();
      const values = next.attrs[attr] ?? [];
      if (change.op === 'replace') {
        if (change.values.length) next.attrs[attr] = dedupe(attr, change.values);
        else delete next.attrs[attr];
      } else if (change.op === 'add') {
        for (const v of change.values) {
          if (values.some((x) => valueKey(attr, x) === valueKey(attr, v))) throw storeErrors.valueExists(attr);
          values.push(v);
        }
        next.attrs[attr] = values;
      } else {
        if (!values.length) throw storeErrors.noSuchAttribute(attr);
        if (!change.values.length) {
          delete next.attrs[attr];
          continue;
        }
        for (const v of change.values) {
          const at = values.findIndex((x) => valueKey(attr, x) === valueKey(attr, v));
          if (at < 0) throw storeErrors.noSuchAttribute(attr);
          values.splice(at, 1);
        }
        if (values.length) next.attrs[attr] = values;
        else delete next.attrs[attr];
      }
    }
    this.entries.set(key, next);
  }

  async delete(dn: string): Promise<void> {
    const key = normalizeDn(dn);
    if (!this.entries.has(key)) throw storeErrors.noSuchObject();
    for (const other of this.entries.keys()) if (other.endsWith(`,${key}`)) throw storeErrors.nonLeaf();
    this.entries.delete(key);
  }

  async search(base: string, options: SearchOptions): Promise<SearchResult> {
    const baseKey = normalizeDn(base);
    if (!this.entries.has(baseKey)) throw storeErrors.noSuchObject();
    const depth = depthOf(baseKey);
    const match = options.filter ? compileFilter(options.filter) : null;
    const found: IpaEntry[] = [];
    let truncated = false;
    for (const [key, entry] of this.entries) {
      if (key !== baseKey && !key.endsWith(`,${baseKey}`)) continue;
      const d = depthOf(key) - depth;
      if (options.scope === 'base' && d !== 0) continue;
      if (options.scope === 'one' && d !== 1) continue;
      if (match && !match(entry)) continue;
      if (options.sizeLimit && found.length >= options.sizeLimit) {
        truncated = true;
        break;
      }
      found.push(cloneEntry(entry));
    }
    return { entries: found, truncated };
  }

  async checkPassword(dn: string, password: string): Promise<boolean> {
    const entry = this.entries.get(normalizeDn(dn));
    if (!entry || !password) return false;
    return (entry.attrs.userpassword ?? []).includes(password);
  }

  async close(): Promise<void> {}

  /** Every entry, for debugging and assertions. */
  dump(): IpaEntry[] {
    return [...this.entries.values()].map(cloneEntry);
  }
}

const depths = new Map<string, number>();
/** Number of RDNs of a normalized DN (escaped commas make a plain split wrong), cached. */
function depthOf(key: string): number {
  let d = depths.get(key);
  if (d === undefined) {
    d = parseDn(key).length;
    if (depths.size > 100_000) depths.clear();
    depths.set(key, d);
  }
  return d;
}

function dedupe(attr: string, values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const k = valueKey(attr, v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}
