/** Shared reading of Keystone v3 token bodies. */

/**
 * Keystone writes `2026-11-23T18:35:48.000000Z` (microseconds). Date.parse is
 * only specified for milliseconds, so the fraction is cut to three digits.
 */
export function parseExpiry(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  const normalized = raw.replace(/(\.\d{3})\d+/, '$1');
  const value = Date.parse(normalized);
  return Number.isNaN(value) ? undefined : value;
}
