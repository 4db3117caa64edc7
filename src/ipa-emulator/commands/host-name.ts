/**
 * The fqdn of a host command: normalized like FreeIPA's normalize_hostname
 * and, where it creates an entry, checked like its hostname_validator.
 */
import { validationError } from '../params.js';

/** normalize_hostname: lower case, no trailing dot. */
export function normalizeHostname(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** hostname_validator (ipalib/util.py validate_hostname with check_fqdn). */
export function hostnameError(name: string): string | null {
  if (name.length > 255) return 'cannot be longer that 255 characters';
  const h = name.replace(/\.$/, '');
  if (h.includes('..')) return 'hostname contains empty label (consecutive dots)';
  if (!h.includes('.')) return 'not fully qualified';
  for (const label of h.split('.')) {
    if (label.length > 63) return 'DNS label cannot be longer than 63 characters';
    if (!LABEL.test(label)) return "only letters, numbers, '-' are allowed. DNS label may not start or end with '-'";
  }
  return null;
}

/**
 * The fqdn argument, normalized; validated (hostname_validator) only where it
 * creates an entry: the other commands clone the key with query=True, and
 * ipalib skips every rule of a query param.
 */
export function hostKey(raw: unknown, validate = false): string {
  const key = normalizeHostname(String(raw));
  const error = validate ? hostnameError(key) : null;
  if (error) throw validationError('hostname', `invalid domain-name: ${error}`);
  return key;
}
