/**
 * The report on stdout, but for the targets (bench/targets.ts): the join
 * storm table and its notes, the service overhead, the service's memory,
 * the capacity search and the delete storms.
 */
import type { Calibration } from './calibration.js';
import { renderCapacity, type CapacityReport } from './capacity.js';
import type { QueueTypeDeletes } from './delete-storms.js';
import type { JoinStorms } from './join-storm.js';
import { describeErrors } from './load-client.js';
import { calibrate, deleteLatency, latencyList, runtime } from './options.js';
import { mb, ms, num, p50, renderPairs, renderTable } from './stats.js';

export interface BenchResults {
  readonly calibration: Calibration;
  readonly storms: JoinStorms;
  readonly capacity: CapacityReport | null;
  readonly deleteResults: readonly QueueTypeDeletes[];
  /** [freeipa] max_concurrency of the service. */
  readonly slots: number;
  readonly idleRss: number;
  readonly peakRss: number;
}

export function renderReport({ calibration, storms, capacity, deleteResults, idleRss, peakRss }: BenchResults): string[] {
  const { firstOverhead, repeatOverhead, rtFirst, writesFirst, rtRepeat, writesRepeat } = calibration;
  const out: string[] = [];
  out.push('', `novajoin join storm (Nova's request from a separate process; FreeIPA round trips from the test server's counters)`, '');
  out.push(
    renderTable(
      ['N', 'C', 'R', 'FreeIPA latency', 'p50', 'p95', 'p99', 'max', 'joins/s', 'RT/first join', 'RT/repeat', 'writes/repeat', 'errors', 'peak RSS'],
      storms.rows,
    ),
  );
  out.push('', ...storms.notes);
  out.push(
    '',
    `Service overhead, ${calibrate} instances one request at a time, FreeIPA latency ${latencyList[0]} ms, Keystone token and Glance image cached:`,
    renderPairs([
      ['  first join: latency p50', ms(p50(firstOverhead.latencies), 2)],
      ['  first join: in FreeIPA calls p50', ms(p50(firstOverhead.inIpa), 2)],
      ['  first join: overhead p50 (latency - FreeIPA)', ms(p50(firstOverhead.outside), 2)],
      ...(repeatOverhead
        ? ([
            ['  repeat join: latency p50', ms(p50(repeatOverhead.latencies), 2)],
            ['  repeat join: overhead p50 (latency - FreeIPA)', ms(p50(repeatOverhead.outside), 2)],
          ] as [string, string][])
        : []),
      ['  round trips per first join / logins / writes', `${num(rtFirst, 2)} / ${calibration.loginsFirst} / ${num(writesFirst, 2)}`],
      ['  round trips per repeat join / writes', `${num(rtRepeat, 2)} / ${num(writesRepeat, 2)}`],
    ]),
  );
  if (firstOverhead.orphans + (repeatOverhead?.orphans ?? 0) > 0) out.push(`  (${firstOverhead.orphans + (repeatOverhead?.orphans ?? 0)} FreeIPA calls fell outside every request window)`);
  if (calibration.errors.size) out.push(`  calibration errors: ${describeErrors(calibration.errors)}`);
  out.push(`  novajoin-server ${runtime === 'bundle' ? 'as plain JavaScript' : 'through tsx (its loader thread adds to the RSS)'}: RSS after start ${mb(idleRss)}, peak (VmHWM) ${mb(peakRss)}`);

  if (capacity) out.push(...renderCapacity(capacity));

  if (deleteResults.length > 0) {
    out.push(
      '',
      `novajoin-notify delete storm (versioned instance.delete.end through RabbitMQ, publisher confirms on every retry and dead letter, FreeIPA latency ${deleteLatency} ms)`,
      '',
      renderTable(
        ['queue type', 'messages', 'FreeIPA latency', 'removed', 'elapsed', 'deletes/s', 'RT/delete', 'lost', 'dead-lettered', 'retrying', 'peak RSS'],
        deleteResults.map(({ queueType, result: d }) => [
          queueType, String(d.messages), `${deleteLatency} ms`, String(d.removed), ms(d.elapsedMs, 0), num(d.perSecond), num(d.roundTrips / Math.max(1, d.removed), 2),
          String(d.remaining + d.deadLettered), String(d.deadLettered), String(d.retrying), mb(d.peakRss),
        ]),
      ),
      '',
    );
    for (const { queueType, result: d } of deleteResults) {
      out.push(
        `  ${queueType}: published in ${ms(d.publishMs, 0)}; CPU: novajoin-notify ${ms(d.notifyCpuMs / Math.max(1, d.removed), 2)} per delete (${num((d.notifyCpuMs / d.elapsedMs) * 100)}% of a core), ` +
          `test FreeIPA (this process) ${num((d.ipaCpuMs / d.elapsedMs) * 100)}% of a core, other processes (RabbitMQ included) ${num((d.otherCpuMs / d.elapsedMs) * 100)}%; ${d.seeded} hosts created directly for the deletes`,
      );
    }
    out.push('  lost = still in FreeIPA after the wait + dead-lettered');
  }
  return out;
}
