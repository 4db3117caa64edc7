/**
 * setattr/addattr/delattr ("attr=value" strings, baseldap
 * process_attr_options) applied to a planned set of attribute values, plus
 * the modlist FreeIPA's ldap update_entry computes from old and new values.
 */
import { AttrValueNotFoundError, EmptyModlistError, FreeIpaError } from '../freeipa/errors.js';
import { get, validationError, type Params } from './params.js';
import type { Change, IpaEntry } from './store.js';

function split(kind: string, raw: string): [string, string] {
  const m = /^\s*(.*?)\s*=\s*(.*?)\s*$/s.exec(raw);
  if (!m || !m[1]) throw validationError(kind, 'Invalid format. Should be name=value');
  return [m[1].toLowerCase(), m[2] ?? ''];
}

/** Attribute names an attr option touches (for the output attribute list). */
export function attrOptionNames(params: Params): string[] {
  const names: string[] = [];
  for (const kind of ['setattr', 'addattr', 'delattr']) {
    for (const raw of get.strs(params, kind) ?? []) names.push(split(kind, raw)[0]);
  }
  return names;
}

/**
 * Applies the attr options of `params` onto `planned` (attr -> new values,
 * null = delete), starting from `current` values for addattr/delattr.
 */
export function applyAttrOptions(params: Params, planned: Record<string, string[] | null>, current: IpaEntry | null): void {
  const setattr = new Map<string, string[]>();
  for (const raw of get.strs(params, 'setattr') ?? []) {
    const [attr, value] = split('setattr', raw);
    const list = setattr.get(attr) ?? [];
    if (value !== '') list.push(value);
    setattr.set(attr, list);
  }
  for (const [attr, values] of setattr) planned[attr] = values.length ? values : null;
  for (const raw of get.strs(params, 'addattr') ?? []) {
    const [attr, value] = split('addattr', raw);
    const base = planned[attr] ?? [...(current?.attrs[attr] ?? [])];
    if (value !== '' && !base.includes(value)) base.push(value);
    planned[attr] = base;
  }
  for (const raw of get.strs(params, 'delattr') ?? []) {
    const [attr, value] = split('delattr', raw);
    const base = planned[attr] ?? [...(current?.attrs[attr] ?? [])];
    const at = base.indexOf(value);
    if (at < 0) throw new AttrValueNotFoundError(`${attr} does not contain '${value}'`, { attr, value });
    base.splice(at, 1);
    planned[attr] = base.length ? base : null;
  }
}

/** The changes that turn `entry` into `planned`; EmptyModlist when there are none. */
export function modlist(entry: IpaEntry, planned: Record<string, string[] | null>, allowEmpty = false): Change[] {
  const changes: Change[] = [];
  for (const [attr, values] of Object.entries(planned)) {
    const old = entry.attrs[attr] ?? [];
    if (values === null || values.length === 0) {
      if (old.length) changes.push({ op: 'replace', attr, values: [] });
      continue;
    }
    const same = old.length === values.length && values.every((v) => old.includes(v));
    if (!same) changes.push({ op: 'replace', attr, values });
  }
  if (!changes.length && !allowEmpty) throw emptyModlist();
  return changes;
}

export function emptyModlist(): FreeIpaError {
  return new EmptyModlistError('no modifications to be performed');
}
