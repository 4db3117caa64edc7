/** The plan for people (a table) and for machines (--json). Neither ever holds an OTP. */
import { opForJson } from './drift.js';
import type { ItemResult, PlanItem, ResyncPlan } from './types.js';

export interface RenderInput {
  readonly plan: ResyncPlan;
  /** Present after --apply, one per item, in the plan's order. */
  readonly results?: readonly ItemResult[] | undefined;
  readonly applied: boolean;
  readonly durationMs: number;
}

export function renderTable(input: RenderInput): string {
  const { plan, results } = input;
  const rows = plan.items.map((item, i) => {
    const row = [item.kind, item.fqdn, item.instanceId || '-', item.projectId || '-', item.action];
    if (results) row.push(outcomeText(results[i]));
    row.push(item.detail);
    return row;
  });
  const header = ['KIND', 'HOST', 'INSTANCE', 'PROJECT', 'ACTION', ...(results ? ['RESULT'] : []), 'DETAIL'];
  const lines: string[] = [];
  if (rows.length > 0) {
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const format = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
    lines.push(format(header), ...rows.map(format));
    lines.push('');
  }
  lines.push(summaryLine(plan));
  for (const skip of plan.skipped.slice(0, 20)) lines.push(`  skipped instance ${skip.instanceId}: ${skip.reason}`);
  if (plan.skipped.length > 20) lines.push(`  ... and ${plan.skipped.length - 20} more skipped (see --json)`);
  lines.push(closingLine(input));
  return `${lines.join('\n')}\n`;
}

function outcomeText(result: ItemResult | undefined): string {
  if (!result) return '-';
  return result.message && result.outcome !== 'applied' ? `${result.outcome} (${result.message})` : result.outcome;
}

function summaryLine(plan: ResyncPlan): string {
  const s = plan.summary;
  const kinds = Object.entries(s.byKind)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return (
    `Nova: ${s.servers} servers, ${s.enrolling} asking to enroll (${s.notEnrolled} without a host). ` +
    `FreeIPA: ${s.hosts} hosts, ${s.subhosts} subhosts. Drift: ${kinds || 'none'}.`
  );
}

function closingLine(input: RenderInput): string {
  const { plan, results, applied } = input;
  const seconds = (input.durationMs / 1000).toFixed(1);
  if (plan.items.length === 0) return `In sync (${seconds} s).`;
  const manual = plan.items.filter((i) => i.action === 'none').length;
  if (!applied) {
    const doable = plan.items.length - manual;
    return `Dry run, nothing changed (${seconds} s). --apply would act on ${doable} item(s)${manual ? `; ${manual} need an operator` : ''}.`;
  }
  const count = (o: string) => (results ?? []).filter((r) => r.outcome === o).length;
  return `Applied ${count('applied')}, unchanged ${count('unchanged')}, skipped ${count('skipped')}, failed ${count('failed')} (${seconds} s).`;
}

export function planToJson(input: RenderInput): Record<string, unknown> {
  const { plan, results } = input;
  return {
    applied: input.applied,
    durationMs: Math.round(input.durationMs),
    summary: plan.summary,
    items: plan.items.map((item, i) => ({ ...itemToJson(item), ...(results?.[i] ? { result: results[i].outcome, ...(results[i].message ? { message: results[i].message } : {}) } : {}) })),
    skipped: plan.skipped,
  };
}

function itemToJson(item: PlanItem): Record<string, unknown> {
  if (item.kind === 'drift') return { ...item, changes: item.changes.map(opForJson) };
  return { ...item };
}
