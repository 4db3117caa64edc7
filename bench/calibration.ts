/**
 * The calibration, one request at a time: FreeIPA round trips and writes per
 * first join and per repeat join (exact counter deltas), and the service
 * overhead per join (latency minus the FreeIPA calls the service made during
 * that join).
 */
import type { BenchIpa } from './ipa.js';
import { errorsOf, type Drive } from './load-client.js';
import type { RequestRecord } from './load.js';
import type { NovaInstance } from './nova-request.js';
import { calibrate, calibrationRepeats } from './options.js';
import type { Child } from './proc.js';
import type { RpcSpan, ServerReply } from './server-process.js';

export interface Overhead {
  readonly latencies: number[];
  /** latency minus the FreeIPA calls made during the request, per request */
  readonly outside: number[];
  readonly inIpa: number[];
  /** spans that fell in no request window (should be 0) */
  readonly orphans: number;
}

export interface Calibration {
  readonly firstOverhead: Overhead;
  readonly repeatOverhead: Overhead | null;
  readonly rtFirst: number;
  readonly writesFirst: number;
  readonly loginsFirst: number;
  /** NaN when each instance is asked once (R = 1). */
  readonly rtRepeat: number;
  readonly writesRepeat: number;
  readonly errors: Map<string, number>;
}

/**
 * One request at a time, so every FreeIPA call the service made belongs to
 * the request whose window holds its midpoint. Both processes read the same
 * wall clock (performance.timeOrigin + now); a 20 ms call's midpoint is far
 * from any window's edge.
 */
function attribute(records: readonly RequestRecord[], spans: readonly RpcSpan[]): Overhead {
  const windows = [...records].sort((a, b) => a[2] - b[2]);
  const inIpa = new Array<number>(windows.length).fill(0);
  let orphans = 0;
  for (const [start, duration] of spans) {
    const mid = start + duration / 2;
    let lo = 0;
    let hi = windows.length - 1;
    let found = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      const w = windows[m]!;
      if (mid < w[2]) hi = m - 1;
      else if (mid > w[2] + w[3]) lo = m + 1;
      else {
        found = m;
        break;
      }
    }
    if (found < 0) orphans += 1;
    else inIpa[found]! += duration;
  }
  const latencies = windows.map((w) => w[3]);
  return { latencies, inIpa, outside: latencies.map((l, i) => l - inIpa[i]!), orphans };
}

/** Joins `calibrationInstances` one at a time, first joins then repeats, with the service recording its FreeIPA calls. */
export async function calibrateJoins(
  ipa: BenchIpa,
  srv: Child<Extract<ServerReply, { type: 'ready' }>>,
  drive: Drive,
  calibrationInstances: readonly NovaInstance[],
): Promise<Calibration> {
  srv.process.send({ type: 'record', on: true });
  ipa.emulator.resetCounters();
  const firsts = await drive(calibrationInstances, 1, 1);
  const afterFirst = ipa.emulator.counters();
  const firstSpans = (await srv.ask<Extract<ServerReply, { type: 'spans' }>>({ type: 'spans' }, 'spans')).spans;
  ipa.emulator.resetCounters();
  const repeats = calibrationRepeats > 1 ? await drive(calibrationInstances, 1, calibrationRepeats - 1) : null;
  const afterRepeat = ipa.emulator.counters();
  const repeatSpans = (await srv.ask<Extract<ServerReply, { type: 'spans' }>>({ type: 'spans' }, 'spans')).spans;
  srv.process.send({ type: 'record', on: false });
  const repeatCount = repeats?.records.length ?? 0;
  return {
    firstOverhead: attribute(firsts.records, firstSpans),
    repeatOverhead: repeats ? attribute(repeats.records, repeatSpans) : null,
    rtFirst: afterFirst.roundTrips / calibrate,
    writesFirst: afterFirst.writes / calibrate,
    loginsFirst: afterFirst.logins,
    rtRepeat: repeatCount ? afterRepeat.roundTrips / repeatCount : NaN,
    writesRepeat: repeatCount ? afterRepeat.writes / repeatCount : NaN,
    errors: errorsOf([...firsts.records, ...(repeats?.records ?? [])]),
  };
}
