/**
 * The memory store's attribute indexes, as 389-ds keeps them for FreeIPA: an
 * equality index, and a substring index of 3-character keys (389-ds's default
 * n-gram length). A search asks them for the entries a filter can match at
 * most; the compiled filter still decides each one, so an index can only make
 * a search faster, never change its answer.
 *
 * Why a substring index: novajoin finds an instance's hosts with
 * `host_find instance=<uuid>`, which FreeIPA turns into a substring OR over
 * nine attributes. Without it every delete scanned every host, and a test
 * FreeIPA holding ten thousand hosts spent its CPU there, not in the calls.
 */
import { valueKey } from './filter-match.js';
import type { Filter, IpaEntry } from './store.js';

/** Attributes with an equality index: the ones FreeIPA's lookups and referint hit on every call. */
const EQUALITY = new Set([
  'fqdn', 'serverhostname', 'managedby', 'member', 'memberhost', 'memberuser', 'enrolledby', 'krbprincipalname',
  'krbcanonicalname', 'idnsname', 'arecord', 'aaaarecord', 'ptrrecord', 'cn', 'uid',
]);

/** Attributes with a substring index: the ones host_find and service_find search with a criteria. */
const SUBSTRING = new Set([
  'fqdn', 'description', 'l', 'nshostlocation', 'krbcanonicalname', 'krbprincipalname', 'nshardwareplatform',
  'nsosversion', 'managedby', 'cn', 'uid',
]);

const GRAM = 3;

type Postings = Map<string, Map<string, Set<string>>>;

export class AttributeIndex {
  private readonly equality: Postings = new Map();
  private readonly grams: Postings = new Map();

  add(key: string, entry: IpaEntry): void {
    this.each(entry, (postings, attr, term) => {
      let byTerm = postings.get(attr);
      if (!byTerm) postings.set(attr, (byTerm = new Map()));
      let keys = byTerm.get(term);
      if (!keys) byTerm.set(term, (keys = new Set()));
      keys.add(key);
    });
  }

  remove(key: string, entry: IpaEntry): void {
    this.each(entry, (postings, attr, term) => {
      const byTerm = postings.get(attr);
      const keys = byTerm?.get(term);
      if (!keys) return;
      keys.delete(key);
      if (keys.size === 0) byTerm?.delete(term);
    });
  }

  /** The keys the filter can match at most, or null when no index narrows it. */
  candidates(filter: Filter): ReadonlySet<string> | null {
    switch (filter.op) {
      case 'eq':
        return EQUALITY.has(filter.attr) ? this.lookup(this.equality, filter.attr, valueKey(filter.attr, filter.value)) : null;
      case 'sub':
        return this.substring(filter);
      case 'and': {
        let best: ReadonlySet<string> | null = null;
        for (const sub of filter.filters) {
          const c = this.candidates(sub);
          if (c && (!best || c.size < best.size)) best = c;
        }
        return best;
      }
      case 'or': {
        const union = new Set<string>();
        for (const sub of filter.filters) {
          const c = this.candidates(sub);
          if (!c) return null;
          for (const k of c) union.add(k);
        }
        return union;
      }
      default:
        return null;
    }
  }

  /** Intersection of the postings of every 3-character key of every literal part; null when no part is long enough. */
  private substring(filter: Extract<Filter, { op: 'sub' }>): ReadonlySet<string> | null {
    if (!SUBSTRING.has(filter.attr)) return null;
    const parts = [filter.initial, ...(filter.any ?? []), filter.final].filter((p): p is string => p !== undefined);
    const postings: ReadonlySet<string>[] = [];
    for (const part of parts) {
      for (const gram of gramsOf(part.toLowerCase())) postings.push(this.lookup(this.grams, filter.attr, gram));
    }
    if (!postings.length) return null;
    postings.sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = postings;
    const out = new Set<string>();
    for (const k of smallest ?? []) if (rest.every((p) => p.has(k))) out.add(k);
    return out;
  }

  private lookup(postings: Postings, attr: string, term: string): ReadonlySet<string> {
    return postings.get(attr)?.get(term) ?? EMPTY;
  }

  private each(entry: IpaEntry, visit: (postings: Postings, attr: string, term: string) => void): void {
    for (const [attr, values] of Object.entries(entry.attrs)) {
      const eq = EQUALITY.has(attr);
      const sub = SUBSTRING.has(attr);
      if (!eq && !sub) continue;
      for (const v of values) {
        const term = valueKey(attr, v);
        if (eq) visit(this.equality, attr, term);
        if (sub) for (const gram of new Set(gramsOf(term))) visit(this.grams, attr, gram);
      }
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function gramsOf(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + GRAM <= text.length; i++) out.push(text.slice(i, i + GRAM));
  return out;
}
