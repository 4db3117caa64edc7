/**
 * Removes secrets from a log record before any transport sees it. Done in the
 * logging layer itself so that no call site can forget: OTPs, passwords,
 * tokens, Authorization/Negotiate values and Kerberos blobs.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear in a record. */
const SECRET_KEY = /^(ipaotp|otp|userpassword|password|passwd|secret|token|x-auth-token|x-subject-token|authorization|www-authenticate|cookie|set-cookie|ipa_session|bind_password|credentials|transport_url|keytab_data)$|(_password|_secret|_token|otp)$/i;

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
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}
