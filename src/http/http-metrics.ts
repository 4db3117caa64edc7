/** The server's metrics, in one place so the names stay consistent. */
import type { FreeIpaClient } from '../freeipa/client.js';
import { PRIORITY, type Priority } from '../freeipa/semaphore.js';
import { freeIpaServerGauges, type FreeIpaServerState } from '../metrics/freeipa-servers.js';
import { Registry } from '../metrics/registry.js';

export interface FreeIpaCallStats {
  readonly roundTrips: number;
  readonly logins: number;
}

export type { FreeIpaServerState } from '../metrics/freeipa-servers.js';

export function createServerMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry({ processMetrics: options.processMetrics ?? true });
  return {
    registry,
    requests: registry.counter('novajoin_join_requests_total', 'Join requests by outcome: created, waiting (host not yet enrolled, same OTP), enrolled, reissued (new OTP after a rebuild), not_requested, conflict, saturated (refused with 503 because FreeIPA could not answer in time), or error_<HTTP status>.', ['outcome']),
    duration: registry.histogram('novajoin_join_duration_seconds', 'Time to answer a join request.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    otps: registry.counter('novajoin_otps_issued_total', 'OTPs set in FreeIPA (first joins and re-issues after a rebuild).'),
    conflicts: registry.counter('novajoin_host_conflicts_total', 'Joins refused because the host name in FreeIPA belongs to another instance or project.'),
    freeipaQueueWait: registry.histogram('novajoin_freeipa_queue_wait_seconds', 'Time FreeIPA calls waited for a connection slot, by priority (normal: first joins and everything else; low: repeat joins).', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], ['priority']),
    serviceProblems: registry.counter('novajoin_service_requests_refused_total', 'Service principal requests refused by policy or by FreeIPA.'),
    /** FreeIPA's client counts its own calls; they are read at scrape time. */
    countFreeIpa(stats: () => FreeIpaCallStats): void {
      registry.counterOf('novajoin_freeipa_round_trips_total', 'FreeIPA HTTP round trips (JSON-RPC calls and batches) since start.', () => stats().roundTrips);
      registry.counterOf('novajoin_freeipa_logins_total', 'FreeIPA session logins since start.', () => stats().logins);
    },
    /** Each FreeIPA server's state, read at scrape time (the list may change with DNS). */
    freeIpaServers(servers: () => readonly FreeIpaServerState[]): void {
      freeIpaServerGauges(registry, servers);
    },
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;

const PRIORITY_NAMES: Readonly<Record<Priority, string>> = { [PRIORITY.normal]: 'normal', [PRIORITY.low]: 'low' };

function byName(values: Readonly<Record<Priority, number>>): Record<string, number> {
  return { normal: values[PRIORITY.normal], low: values[PRIORITY.low] };
}

/** The FreeIPA client's queue of calls waiting for a slot, as metrics: depth, wait, and what was shed. */
export function watchFreeIpaQueue(freeipa: FreeIpaClient, metrics: ServerMetrics): void {
  const { registry } = metrics;
  registry.gaugesOf('novajoin_freeipa_queue_depth', 'FreeIPA calls waiting for a connection slot now, by priority (normal: first joins and everything else; low: repeat joins).', ['priority'], () =>
    Object.entries(byName(freeipa.slots.queuedByPriority)).map(([priority, value]) => ({ labels: { priority }, value })),
  );
  registry.countersOf('novajoin_freeipa_calls_shed_total', 'FreeIPA calls refused without being sent because FreeIPA could not have answered them before their deadline (the join answered 503), by priority.', 'priority', () => byName(freeipa.slots.shed));
  registry.gaugeOf('novajoin_freeipa_in_flight', 'FreeIPA calls holding a connection slot now.', () => freeipa.slots.inFlight);
  registry.gaugeOf('novajoin_freeipa_slot_hold_seconds', 'Running estimate of how long a FreeIPA call holds a connection slot; with the queue depth it gives the expected wait that decides shedding.', () => freeipa.slots.holdMs / 1000);
  freeipa.on('queue', (event) => metrics.freeipaQueueWait.observe(event.waitMs / 1000, { priority: PRIORITY_NAMES[event.priority] }));
}
