/**
 * The in-process directory used by `novajoin dev`: a map of entries keyed by
 * normalized DN, with the LDAP behaviours the commands rely on (parent must
 * exist, no delete of a non-leaf, add/delete of values fail like LDAP,
 * case-insensitive matching, size limits that truncate). It has no access
 * control: every caller may do everything, so `novajoin dev` never says
 * "Insufficient access". The tests' 389-ds store is where rights are real.
 */
import { normalizeDn, parentDn, parseDn } from './dn.js';
import { compileFilter, valueKey } from './filter-match.js';
import { AttributeIndex } from './memory-index.js';
import {
  cloneEntry,
  storeErrors,
  type Change,
  type IpaEntry,
  type IpaStore,
  type SearchOptions,
  type SearchResult,
} from './store.js';

export class MemoryStore implements IpaStore {
  private readonly entries = new Map<string, IpaEntry>();
  /** Normalized DN -> normalized DNs of its children: one-level and subtree scopes walk this. */
  private readonly children = new Map<string, Set<string>>();
  private readonly index = new AttributeIndex();

  /** Seeds entries without parent checks (the tree's roots). */
  constructor(seed: readonly IpaEntry[] = []) {
    for (const entry of seed) this.put(normalizeDn(entry.dn), cloneEntry(entry));
  }

  private put(key: string, entry: IpaEntry): void {
    const old = this.entries.get(key);
    if (old) this.unindex(key, old);
    this.entries.set(key, entry);
    const parent = parentKey(key);
    if (parent !== null) {
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(key);
    }
    this.index.add(key, entry);
  }

  private unindex(key: string, entry: IpaEntry): void {
    this.index.remove(key, entry);
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
    this.put(key, clean);
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
    this.put(key, next);
  }

  async delete(dn: string): Promise<void> {
    const key = normalizeDn(dn);
    const entry = this.entries.get(key);
    if (!entry) throw storeErrors.noSuchObject();
    if (this.children.get(key)?.size) throw storeErrors.nonLeaf();
    this.unindex(key, entry);
    this.entries.delete(key);
    this.children.delete(key);
    const parent = parentKey(key);
    if (parent !== null) this.children.get(parent)?.delete(key);
  }

  private *scopeKeys(baseKey: string, scope: SearchOptions['scope']): Generator<string> {
    if (scope === 'base') {
      yield baseKey;
      return;
    }
    if (scope === 'sub') yield baseKey;
    const stack = [...(this.children.get(baseKey) ?? [])];
    while (stack.length) {
      const key = stack.pop() as string;
      yield key;
      if (scope === 'sub') for (const child of this.children.get(key) ?? []) stack.push(child);
    }
  }

  private inScope(key: string, baseKey: string, scope: SearchOptions['scope']): boolean {
    if (scope === 'base') return key === baseKey;
    if (scope === 'one') return parentKey(key) === baseKey;
    return key === baseKey || key.endsWith(`,${baseKey}`);
  }

  async search(base: string, options: SearchOptions): Promise<SearchResult> {
    const baseKey = normalizeDn(base);
    if (!this.entries.has(baseKey)) throw storeErrors.noSuchObject();
    const match = options.filter ? compileFilter(options.filter) : null;
    const narrowed = options.filter ? this.index.candidates(options.filter) : null;
    const keys: Iterable<string> = narrowed
      ? [...narrowed].filter((k) => this.inScope(k, baseKey, options.scope))
      : this.scopeKeys(baseKey, options.scope);
    const found: IpaEntry[] = [];
    let truncated = false;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
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

  /** Permissive: no identity changes what this store allows. */
  actingAs(_bindDn: string): IpaStore {
    return this;
  }

  async canWrite(_dn: string, _attr: string): Promise<boolean> {
    return true;
  }

  /** Every entry, for debugging and assertions. */
  dump(): IpaEntry[] {
    return [...this.entries.values()].map(cloneEntry);
  }
}

const parents = new Map<string, string | null>();
/** The normalized parent of a normalized DN (escaped commas make a plain split wrong), cached. */
function parentKey(key: string): string | null {
  let p = parents.get(key);
  if (p === undefined) {
    const rdns = parseDn(key);
    p = rdns.length > 1 ? normalizeDn(parentDn(key)) : null;
    if (parents.size > 200_000) parents.clear();
    parents.set(key, p);
  }
  return p;
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
