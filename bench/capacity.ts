/**
 * The boot storm against FreeIPA's capacity (design section 7): the test
 * FreeIPA serves as a real one does, with W workers and a service time per
 * call kind (src/ipa-emulator/capacity.ts), and instances boot at a set
 * rate, each asking Nova's five times. A search over arrival rates finds the
 * highest rate the service sustains:
 *
 * - every join answered 200 with the instance's one OTP, inside Nova's timeout;
 * - and it keeps up: the last instance's first join is answered within
 *   KEEP_UP of the arrival time alone (arrivals and drain). A rate a little above what FreeIPA
 *   serves leaves every join inside 5 s for a while and only builds a queue;
 *   the drain shows that queue.
 *
 * FreeIPA's own limit is W / (write time): one write per instance, the floor.
 */
import type { BenchIpa } from './ipa.js';
import type { LoadResult } from './load.js';
import type { NovaInstance } from './nova-request.js';
import { ascending, ms, num, percentile, renderTable } from './stats.js';

export interface CapacitySpec {
  readonly workers: number;
  readonly readMs: number;
  readonly writeMs: number;
  readonly itemMs: number;
  /** Seconds of arrivals per trial. */
  readonly trialSeconds: number;
  /** Trials at most. */
  readonly trials: number;
  /** Seconds the whole search may take; no trial starts after. */
  readonly budgetSeconds: number;
  readonly repeats: number;
  readonly timeoutMs: number;
}

export interface CapacityTrial {
  readonly rate: number;
  readonly instances: number;
  readonly callsPerInstance: number;
  readonly writesPerInstance: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  /** (arrivals + the last first join's answer) / arrivals. */
  readonly stretch: number;
  /** FreeIPA worker time used / worker time available during the trial. */
  readonly utilisation: number;
  readonly sustained: boolean;
}

export interface CapacityReport {
  readonly spec: CapacitySpec;
  /** Instances per second FreeIPA allows at one write per instance. */
  readonly limit: number;
  readonly trials: readonly CapacityTrial[];
  readonly best: CapacityTrial | null;
}

export interface CapacityDeps {
  readonly ipa: BenchIpa;
  readonly instances: (count: number) => NovaInstance[];
  readonly drive: (instances: readonly NovaInstance[], arrivalsPerSecond: number) => Promise<LoadResult>;
  readonly log: (line: string) => void;
}

/** A trial keeps up when arrivals and drain take at most this much longer than the arrivals alone. */
const KEEP_UP = 1.05;

export async function searchCapacity(deps: CapacityDeps, spec: CapacitySpec): Promise<CapacityReport> {
  const { ipa } = deps;
  const limit = (spec.workers * 1000) / spec.writeMs;
  const trials: CapacityTrial[] = [];
  const started = Date.now();
  ipa.emulator.setLatency(0);
  ipa.emulator.setCapacity({ workers: spec.workers, readMs: spec.readMs, writeMs: spec.writeMs, itemMs: spec.itemMs });
  try {
    // Bisection over the share of the limit, starting where the target is.
    let low = 0;
    let high = 1.25;
    let share = 0.8;
    for (let n = 0; n < spec.trials && (Date.now() - started) / 1000 < spec.budgetSeconds; n++) {
      const trial = await runTrial(deps, spec, share * limit);
      trials.push(trial);
      deps.log(`capacity trial ${n + 1}: ${num(trial.rate, 1)} instances/s (${num(share * 100)}% of FreeIPA's limit): ${trial.sustained ? 'sustained' : 'not sustained'}`);
      if (trial.sustained) low = share;
      else high = share;
      share = (low + high) / 2;
    }
  } finally {
    ipa.emulator.setCapacity(null);
  }
  const sustained = trials.filter((t) => t.sustained);
  const best = sustained.length ? sustained.reduce((a, b) => (b.rate > a.rate ? b : a)) : null;
  return { spec, limit, trials, best };
}

async function runTrial(deps: CapacityDeps, spec: CapacitySpec, rate: number): Promise<CapacityTrial> {
  const count = Math.max(1, Math.round(rate * spec.trialSeconds));
  const instances = deps.instances(count);
  deps.ipa.emulator.resetCounters();
  const result = await deps.drive(instances, rate);
  const counters = deps.ipa.emulator.counters();
  const model = deps.ipa.emulator.capacityStats();
  const latencies = ascending(result.records.map((r) => r[3]));
  const errors = result.records.filter((r) => r[5] !== '' || r[3] >= spec.timeoutMs).length + result.otpMismatches;
  // From the records: the first request of each instance is its arrival, and
  // its answer shows FreeIPA's queue (the repeats after it cost FreeIPA nothing).
  const firsts = result.records.filter((r) => r[1] === 0);
  const first = Math.min(...firsts.map((r) => r[2]));
  const lastArrival = Math.max(...firsts.map((r) => r[2]));
  const lastAnswer = Math.max(...firsts.map((r) => r[2] + r[3]));
  const stretch = (lastAnswer - first) / Math.max(1, lastArrival - first);
  return {
    rate,
    instances: count,
    callsPerInstance: counters.roundTrips / count,
    writesPerInstance: counters.writes / count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    errors,
    stretch,
    utilisation: model ? model.busyMs / (spec.workers * result.wallMs) : NaN,
    sustained: errors === 0 && stretch <= KEEP_UP,
  };
}

export function renderCapacity(report: CapacityReport): string[] {
  const { spec, limit } = report;
  const rows = report.trials.map((t) => [
    num(t.rate, 1), `${num((t.rate / limit) * 100)}%`, String(t.instances), num(t.callsPerInstance, 2), num(t.writesPerInstance, 2),
    ms(t.p50), ms(t.p99), ms(t.max), String(t.errors), num(t.stretch, 2), `${num(t.utilisation * 100)}%`, t.sustained ? 'yes' : 'no',
  ]);
  const best = report.best;
  return [
    '',
    `novajoin join storm against FreeIPA's capacity: ${spec.workers} workers, read ${spec.readMs} ms, write ${spec.writeMs} ms, +${spec.itemMs} ms per further batch item; ` +
      `instances arrive at random (Poisson), ${spec.repeats} requests each, ${spec.trialSeconds} s of arrivals per trial`,
    `FreeIPA's own limit: ${spec.workers} workers / ${spec.writeMs} ms per instance (one write, the floor) = ${num(limit, 1)} instances/s`,
    '',
    renderTable(['instances/s', 'of limit', 'instances', 'calls/instance', 'writes/instance', 'p50', 'p99', 'max', 'errors', 'stretch', 'FreeIPA busy', 'sustained'], rows),
    '',
    `  sustained: every join 200 with its one OTP inside ${spec.timeoutMs} ms, and the last first join answered within ${KEEP_UP}x the arrival time (stretch)`,
    best
      ? `  highest sustained rate: ${num(best.rate, 1)} instances/s = ${num((best.rate / limit) * 100)}% of FreeIPA's limit; ${num(best.callsPerInstance, 2)} FreeIPA calls per instance, p99 ${ms(best.p99)}`
      : '  no trial was sustained',
  ];
}
