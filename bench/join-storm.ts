/**
 * The storm, one table row per combination of --instances, --concurrency,
 * --repeats and --latency, each row with its own instances, and a note per
 * row on what FreeIPA, memory and CPU did meanwhile.
 */
import { cpus } from 'node:os';
import type { Calibration } from './calibration.js';
import type { DeleteHost } from './deletes.js';
import type { BenchIpa } from './ipa.js';
import { describeErrors, errorsOf, type Drive } from './load-client.js';
import type { NovaInstance } from './nova-request.js';
import { opts, instancesList, concurrencyList, repeatsList, latencyList } from './options.js';
import { cpuMsOf, machineBusyMs, memoryOf, watchMemory, type Child } from './proc.js';
import type { ServerReply } from './server-process.js';
import { ascending, mb, ms, num, percentile } from './stats.js';

export interface StormDeps {
  readonly ipa: BenchIpa;
  readonly srv: Child<Extract<ServerReply, { type: 'ready' }>>;
  readonly gen: Child<{ type: 'ready' }>;
  readonly drive: Drive;
  /** [freeipa] max_concurrency of the service. */
  readonly slots: number;
  /** Instances named after the run and `name`. */
  readonly instances: (name: string, count: number) => NovaInstance[];
  readonly log: (line: string) => void;
}

/** One storm as the targets judge it. */
export interface StormVerdict {
  readonly n: number;
  readonly c: number;
  readonly l: number;
  readonly p99: number;
  readonly errors: number;
  readonly slotBoundMs: number;
}

export interface JoinStorms {
  readonly rows: string[][];
  readonly notes: string[];
  /** The largest storm's instances, for the deletes. */
  readonly hosts: DeleteHost[];
  readonly verdicts: StormVerdict[];
  readonly peakRss: number;
}

export async function runJoinStorms({ ipa, srv, gen, drive, slots, instances: instancesFor, log }: StormDeps, calibration: Calibration): Promise<JoinStorms> {
  const { rtFirst, rtRepeat, writesRepeat } = calibration;
  const serverStats = () => srv.ask<Extract<ServerReply, { type: 'stats' }>>({ type: 'stats' }, 'stats', 10_000);
  const rows: string[][] = [];
  const stormNotes: string[] = [];
  let stormHosts: DeleteHost[] = [];
  const verdictRows: StormVerdict[] = [];
  let peakRss = 0;
  let row = 0;
  for (const latency of latencyList) {
    for (const n of instancesList) {
      for (const c of concurrencyList) {
        for (const r of repeatsList) {
          row += 1;
          ipa.emulator.setLatency(latency);
          const instances = instancesFor(`s${row}`, n);
          log(`storm ${row}: ${n} instances, ${c} concurrent, ${r} requests each, FreeIPA latency ${latency} ms, ${slots} FreeIPA slots`);
          const before = await serverStats();
          ipa.emulator.resetCounters();
          const memory = watchMemory(srv.pid);
          const cpu0 = { server: cpuMsOf(srv.pid), load: cpuMsOf(gen.pid), self: process.cpuUsage(), machine: machineBusyMs() };
          const result = await drive(instances, c, r, opts['parallel-repeats']);
          const selfCpu = process.cpuUsage(cpu0.self);
          const used = {
            server: cpuMsOf(srv.pid) - cpu0.server,
            self: (selfCpu.user + selfCpu.system) / 1000,
            load: cpuMsOf(gen.pid) - cpu0.load,
            machine: machineBusyMs() - cpu0.machine,
          };
          const cpuShare = (ms: number) => `${num((ms / result.wallMs) * 100)}%`;
          // Other processes on the machine compete for the same cores: said, so a slow run can be read for what it is.
          const cpuNote =
            `CPU (% of one core, ${cpus().length} cores): novajoin-server ${cpuShare(used.server)} (${ms(used.server / result.records.length, 2)} per request), ` +
            `test FreeIPA and OpenStack ${cpuShare(used.self)}, load generator ${cpuShare(used.load)}, ` +
            `other processes ${cpuShare(Math.max(0, used.machine - used.server - used.self - used.load))}`;
          const rssSampled = memory.stop();
          const counters = ipa.emulator.counters();
          const after = await serverStats();
          const hwm = memoryOf(srv.pid)?.peak ?? 0;
          peakRss = Math.max(peakRss, hwm, rssSampled);

          const latencies = ascending(result.records.map((x) => x[3]));
          const firstLatencies = ascending(result.records.filter((x) => x[1] === 0).map((x) => x[3]));
          const errors = errorsOf(result.records);
          if (result.otpMismatches) errors.set('otp-mismatch', result.otpMismatches);
          const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
          const expectedRt = n * rtFirst + n * (r - 1) * rtRepeat;
          // What FreeIPA alone allows: [freeipa] max_concurrency calls in flight, each taking at least the latency.
          const rtPerRequest = expectedRt / (n * r);
          const slotBound = latency > 0 ? (slots / (latency / 1000)) / rtPerRequest : Infinity;
          const outsideMean = (latencies.reduce((a, b) => a + b, 0) - (after.rpcMs - before.rpcMs)) / latencies.length;
          rows.push([
            String(n), String(c), String(r), `${latency} ms`,
            ms(percentile(latencies, 50)), ms(percentile(latencies, 95)), ms(percentile(latencies, 99)), ms(latencies.at(-1) ?? NaN),
            num((latencies.length / result.wallMs) * 1000), num(rtFirst, 2), num(rtRepeat, 2), num(writesRepeat, 2),
            String(errorCount), mb(hwm),
          ]);
          stormNotes.push(
            `storm ${row}: ${latencies.length} requests in ${(result.wallMs / 1000).toFixed(1)} s; first joins p50 ${ms(percentile(firstLatencies, 50))} p99 ${ms(percentile(firstLatencies, 99))}; ` +
              (opts['parallel-repeats']
                ? `FreeIPA round trips ${counters.roundTrips} (${num(expectedRt)} if none were coalesced); `
                : `FreeIPA round trips ${counters.roundTrips} (expected ${num(expectedRt)}); ${slots} FreeIPA slots x ${latency} ms allow at most ${num(slotBound)} joins/s (mean latency >= ${ms((Math.min(c, n) / slotBound) * 1000, 0)} at ${Math.min(c, n)} in flight); `) +
              `logins ${counters.logins}, writes ${counters.writes}, client retries ${after.retries - before.retries}; ` +
              (opts['parallel-repeats'] ? '' : `mean time outside FreeIPA calls ${ms(outsideMean)}; `) +
              `sampled peak RSS ${mb(rssSampled)} ` +
              `(after the storm: V8 heap ${mb(after.memory.heapUsed)} used of ${mb(after.memory.heapTotal)}, external ${mb(after.memory.external)}); ${cpuNote}${errorCount ? `; errors ${describeErrors(errors)}` : ''}`,
          );
          verdictRows.push({ n, c, l: latency, p99: percentile(latencies, 99), errors: errorCount, slotBoundMs: opts['parallel-repeats'] ? 0 : (Math.min(c, n) / slotBound) * 1000 });
          if (row === 1 || n > stormHosts.length) {
            stormHosts = instances.map((i) => ({ instanceId: i.instanceId, projectId: i.projectId, hostname: i.hostname, fqdn: `${i.hostname}.${ipa.domain}` }));
          }
        }
      }
    }
  }
  return { rows, notes: stormNotes, hosts: stormHosts, verdicts: verdictRows, peakRss };
}
