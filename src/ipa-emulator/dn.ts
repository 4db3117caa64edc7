/**
 * Distinguished names as the emulator needs them: build one from parts with
 * RFC 4514 escaping, take one apart, and compare two the way a directory
 * does (attribute types and the case-insensitive values FreeIPA uses).
 */

export interface Rdn {
  readonly attr: string;
  readonly value: string;
}

/** Escapes an attribute value for use inside a DN (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const edge = (i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ');
    if (edge || ',+"\\<>;='.includes(ch)) out += `\\${ch}`;
    else if (ch === '\0') out += '\\00';
    else out += ch;
  }
  return out;
}

/** `attr=value` with the value escaped. */
export function rdn(attr: string, value: string): string {
  return `${attr}=${escapeDnValue(value)}`;
}

/** Splits a DN into RDNs, unescaping values. Multi-valued RDNs are not used by FreeIPA's objects. */
export function parseDn(dn: string): Rdn[] {
  const out: Rdn[] = [];
  let attr = '';
  let value = '';
  let inValue = false;
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) {
      value += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (ch === '\\' && i + 1 < dn.length) {
      const next = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(next)) {
        bytes.push(parseInt(next, 16));
        i += 2;
      } else {
        flushBytes();
        (inValue ? (value += dn[i + 1]) : (attr += dn[i + 1]));
        i += 1;
      }
      continue;
    }
    flushBytes();
    if (!inValue && ch === '=') {
      inValue = true;
    } else if (ch === ',') {
      out.push({ attr: attr.trim().toLowerCase(), value: value.trim() });
      attr = '';
      value = '';
      inValue = false;
    } else if (inValue) {
      value += ch;
    } else {
      attr += ch;
    }
  }
  flushBytes();
  if (attr.trim() || value.trim()) out.push({ attr: attr.trim().toLowerCase(), value: value.trim() });
  return out;
}

/** A canonical form for comparing and keying DNs: lower-case, re-escaped, no blanks around separators. */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((r) => `${r.attr}=${escapeDnValue(r.value.toLowerCase())}`)
    .join(',');
}

export function sameDn(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** The parent of a DN, or '' for a single RDN. */
export function parentDn(dn: string): string {
  const parts = parseDn(dn);
  return parts
    .slice(1)
    .map((r) => rdn(r.attr, r.value))
    .join(',');
}

/** True when `dn` is `base` or lies under it. */
export function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

/** The value of the first RDN (the primary key of most FreeIPA objects). */
export function firstRdnValue(dn: string): string {
  return parseDn(dn)[0]?.value ?? '';
}
