/**
 * LDAP filter evaluation for the memory store: a filter compiled once into a
 * predicate, values compared in their matching form (case-insensitive, DNs
 * normalized), computed once per stored entry.
 */
import { normalizeDn } from './dn.js';
import { DN_ATTRIBUTES, type Filter, type IpaEntry } from './store.js';

const normalizedDns = new Map<string, string>();

/** The comparison form of a value: DNs normalized (memoized: filters compare the same DNs again and again). */
export function valueKey(attr: string, value: string): string {
  if (!DN_ATTRIBUTES.has(attr)) return value.toLowerCase();
  let key = normalizedDns.get(value);
  if (key === undefined) {
    key = normalizeDn(value);
    if (normalizedDns.size > 100_000) normalizedDns.clear();
    normalizedDns.set(value, key);
  }
  return key;
}

export type Predicate = (entry: IpaEntry) => boolean;

/** Comparison forms of an entry's values, computed once per stored entry object (entries are replaced, never mutated). */
const keyCache = new WeakMap<IpaEntry, Map<string, string[]>>();
export function keysOf(entry: IpaEntry, attr: string): string[] {
  let byAttr = keyCache.get(entry);
  if (!byAttr) keyCache.set(entry, (byAttr = new Map()));
  let keys = byAttr.get(attr);
  if (!keys) byAttr.set(attr, (keys = (entry.attrs[attr] ?? []).map((v) => valueKey(attr, v))));
  return keys;
}

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
      return (e) => keysOf(e, attr).includes(want);
    }
    case 'sub': {
      // 389-ds (FreeIPA's directory) matches substrings of DN values too, on the normalized DN.
      const attr = filter.attr;
      const initial = filter.initial?.toLowerCase();
      const final = filter.final?.toLowerCase();
      const any = (filter.any ?? []).map((x) => x.toLowerCase());
      return (e) =>
        keysOf(e, attr).some((lowered) => {
          let v = lowered;
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
