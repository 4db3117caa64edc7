/**
 * Removes secrets from a log record before any transport sees it. Done in the
 * logging layer itself so that no call site can forget: OTPs, passwords,
 * tokens, Authorization/Negotiate values and Kerberos blobs.
 */

export const REDACTED = '[redacted]';

/**
 * Keys whose values are secrets wherever they appear in a record, matched
 * anywhere in the key: FreeIPA answers `randompassword`, callers write
 * `serviceToken` or `bind_password`, and a list of exact names always missed one.
 */
const SECRET_KEY = /passw|secret|token|otp|authoriz|authenticate|cookie|session|credential|keytab|private_?key|api_?key/i;

/** Keys that name a secret without holding it: a token's hash, a secret's file. */
const NOT_SECRET_KEY = /(hash|file|path|dir)$/i;

/** Depth past which a record is not walked; what is deeper is replaced, never passed through unredacted. */
const MAX_DEPTH = 8;
export const TOO_DEEP = '[nested too deep]';

/** Secrets inside free text: "Negotiate <blob>", "password=...", rabbit://user:pw@. */
const TEXT_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(Negotiate|Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${REDACTED}`],
  [/((?:ipaotp|otp|userpassword|password|passwd|token|secret)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, `$1${REDACTED}`],
  [/(ipa_session=)[^\s;,"]+/gi, `$1${REDACTED}`],
  [/([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  [/\bgAAAAA[A-Za-z0-9_-]{20,}/g, REDACTED],
];

/** Every TEXT_PATTERNS match contains one of these; most log strings contain none, and skip the five scans. */
const MAYBE_SECRET = /negotiate|bearer|basic|otp|passw|token|secret|ipa_session|:\/\/|gAAAAA/i;

export function redactText(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSecretKey(key) && holdsSecret(inner) ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

/** A flag or a count under a secret-like key (has_password, tokenCacheTimeMs) says nothing secret. */
function holdsSecret(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  return typeof value !== 'boolean' && typeof value !== 'number';
}
