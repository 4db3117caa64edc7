/**
 * Kerberos principal names as FreeIPA's Principal param handles them
 * (ipapython/kerberos.py, ipalib/parameters.py Principal): parse on unescaped
 * '/' and '@', append the default realm, require a service principal, refuse
 * a foreign realm.
 */
import { ConversionError, RealmMismatchError } from '../../freeipa/errors.js';
import type { IpaEnv } from '../layout.js';
import { validationError } from '../params.js';

export interface ParsedPrincipal {
  readonly components: readonly string[];
  readonly realm: string | null;
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return parts;
}

/** null when the text is not a principal at all. */
export function parsePrincipal(value: string): ParsedPrincipal | null {
  if (!value || /[\s]/.test(value.replace(/\\./g, ''))) return null;
  const at = splitUnescaped(value, '@');
  if (at.length > 2) return null;
  const [name = '', realm] = at;
  if (realm !== undefined && realm === '') return null;
  const components = splitUnescaped(name, '/');
  if (components.some((c) => c === '')) return null;
  return { components, realm: realm ?? null };
}

export function formatPrincipal(p: ParsedPrincipal, defaultRealm: string): string {
  return `${p.components.join('/')}@${p.realm ?? defaultRealm}`;
}

/** The host part of a service principal (`HTTP/vm1.example.com@R` -> vm1.example.com). */
export function serviceHostname(principal: string): string | null {
  const parsed = parsePrincipal(principal);
  return parsed && parsed.components.length > 1 ? (parsed.components[1] ?? null) : null;
}

/**
 * The krbcanonicalname argument of the service commands: converted and
 * normalized with the realm; validated (service principal, our realm) only
 * when it creates an entry, since ipalib runs no rule on a query param
 * (the key of show/del/mod/find).
 */
export function servicePrincipal(raw: string, env: IpaEnv, cliName = 'canonical_principal', query = false): { principal: string; parsed: ParsedPrincipal } {
  const parsed = parsePrincipal(raw);
  if (!parsed) {
    const error = `Malformed principal: '${raw}'`;
    throw new ConversionError(`invalid '${cliName}': ${error}`, { name: cliName, error });
  }
  if (query) return { principal: formatPrincipal(parsed, env.realm), parsed };
  if (parsed.components.length < 2) throw validationError(cliName, 'Service principal is required');
  if (parsed.realm !== null && parsed.realm !== env.realm) {
    throw new RealmMismatchError('The realm for the principal does not match the realm for this IPA server');
  }
  return { principal: formatPrincipal(parsed, env.realm), parsed };
}
