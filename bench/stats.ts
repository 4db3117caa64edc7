/** Percentiles and a plain-text table: the only output formats the benchmark has. */

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function ascending(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

export const p50 = (values: readonly number[]) => percentile(ascending(values), 50);

export const ms = (v: number, digits = 1) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : '-');
export const mb = (bytes: number) => (Number.isFinite(bytes) && bytes > 0 ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : '-');
export const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/**
 * A table with one header row; every row has the header's columns.
 * Right-aligned values, a rule under the header.
 */
export function renderTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A two-column table: label, value (and an optional verdict), for results that are one figure each. */
export function renderPairs(rows: readonly (readonly [string, string, string?])[]): string {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([label, value, verdict]) => `${label.padEnd(w0)}  ${value.padStart(w1)}${verdict ? `  ${verdict}` : ''}`).join('\n');
}
