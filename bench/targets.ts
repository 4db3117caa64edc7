/**
 * The targets of design section 7 at the end of the report, each with its
 * figure and PASS or FAIL where the run met its conditions (n/a where not).
 */
import { calibrationRepeats, deleteLatency, timeoutMs } from './options.js';
import type { BenchResults } from './report.js';
import { mb, ms, num, p50, renderPairs } from './stats.js';

export function renderTargets({ calibration, storms, capacity, deleteResults, slots, peakRss }: BenchResults): string[] {
  const { firstOverhead, rtFirst, rtRepeat, writesRepeat } = calibration;
  const verdictRows = storms.verdicts;
  const out: string[] = [];
  const callsPerInstance = rtFirst + (calibrationRepeats - 1) * (Number.isNaN(rtRepeat) ? 0 : rtRepeat);
  // Targets (design section 7), each judged where its conditions were met.
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const targets: [string, string, string?][] = [
    [`FreeIPA calls per instance, ${calibrationRepeats} requests each, one replica (<= 1.2)`, num(callsPerInstance, 2), verdict(callsPerInstance <= 1.2)],
    ['FreeIPA round trips, first join, no services (1)', num(rtFirst, 2), verdict(rtFirst <= 1)],
    ['FreeIPA writes, repeat join of a waiting host (0)', num(writesRepeat, 2), Number.isNaN(writesRepeat) ? 'n/a (R = 1)' : verdict(writesRepeat === 0)],
  ];
  const targetRows = verdictRows.filter((v) => v.n >= 1000 && v.c >= 200 && v.l >= 20);
  for (const v of targetRows) {
    targets.push([`Join p99, ${v.n} instances, ${v.c} concurrent, ${v.l} ms (< 500 ms, no errors)`, `${ms(v.p99)}, ${v.errors} errors`, verdict(v.p99 < 500 && v.errors === 0)]);
  }
  if (targetRows.length === 0) targets.push(['Join p99 at 1000 instances, 200 concurrent, 20 ms (< 500 ms, no errors)', 'not run', 'n/a']);
  // A first join queues twice for a FreeIPA slot: when the slots alone hold the mean near the target, say so.
  const slotBound = targetRows.find((v) => v.p99 >= 500 && v.slotBoundMs >= 150);
  const overheadP50 = p50(firstOverhead.outside);
  targets.push(['Service overhead per first join, p50 (< 5 ms)', ms(overheadP50, 2), verdict(overheadP50 < 5)]);
  for (const { queueType, result } of deleteResults) {
    const lost = result.remaining + result.deadLettered;
    targets.push([
      `Deletes per second, ${queueType} queues, ${deleteLatency} ms (>= 200, none lost)`,
      `${num(result.perSecond)}/s, ${lost} lost`,
      deleteLatency >= 5 ? verdict(result.perSecond >= 200 && lost === 0) : 'n/a (target is at 5 ms)',
    ]);
  }
  if (capacity) {
    const share = capacity.best ? capacity.best.rate / capacity.limit : 0;
    targets.push([
      `Sustained instance rate, FreeIPA ${capacity.spec.workers} workers, every join inside ${timeoutMs} ms (>= 80% of FreeIPA's limit)`,
      capacity.best ? `${num(capacity.best.rate, 1)}/s = ${num(share * 100)}%, p99 ${ms(capacity.best.p99)}` : 'none sustained',
      verdict(share >= 0.8),
    ]);
  }
  targets.push(['Peak RSS of novajoin-server (< 200 MB)', mb(peakRss), verdict(peakRss < 200 * 1024 * 1024)]);
  out.push('', 'Targets (design section 7):', renderPairs(targets.map(([a, b, c]) => [`  ${a}`, b, c])));
  if (slotBound) {
    out.push(`  Join p99: ${slots} FreeIPA slots alone hold the mean at >= ${ms(slotBound.slotBoundMs, 0)} (a first join queues twice); raise [freeipa] max_concurrency (try --ipa-concurrency 32)`);
  }
  return out;
}
