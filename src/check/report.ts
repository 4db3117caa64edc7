/**
 * How `novajoin check` prints its lines: one text line each, or one JSON
 * document (`--json`) for monitoring and scripts.
 */
import type { CheckLine } from './checks.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly checks: readonly CheckLine[];
}

export function checkReport(lines: readonly CheckLine[]): CheckReport {
  return { ok: lines.every((line) => line.ok), checks: lines.map(({ ok, what, why, fix }) => ({ ok, what, ...(why ? { why } : {}), ...(fix ? { fix } : {}) })) };
}
