/** The server's metrics, in one place so the names stay consistent. */
import type { FreeIpaClient } from '../freeipa/client.js';
import { PRIORITY } from '../freeipa/semaphore.js';
import { Registry } from '../metrics/registry.js';

export function createServerMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.counter('novajoin_join_requests_total', 'Join requests by outcome (created, waiting, enrolled, reissued, not_requested, conflict, saturated: shed with 503 because FreeIPA could not answer in time, or an error code).'),
    duration: registry.histogram('novajoin_join_duration_seconds', 'Time to answer a join request.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    otps: registry.counter('novajoin_otps_issued_total', 'OTPs set in FreeIPA (first joins and re-issues after a rebuild).'),
    conflicts: registry.counter('novajoin_host_conflicts_total', 'Joins refused because the name is bound to another instance (B2).'),
    serviceProblems: registry.counter('novajoin_service_requests_refused_total', 'Service principal requests refused by policy or by FreeIPA.'),
    freeipaCalls: registry.gauge('novajoin_freeipa_round_trips', 'FreeIPA HTTP round trips since start.'),
    freeipaLogins: registry.gauge('novajoin_freeipa_logins', 'FreeIPA session logins since start.'),
    freeipaQueued: registry.gauge('novajoin_freeipa_queue_depth', 'FreeIPA calls waiting for a connection slot, by priority (normal: first joins and everything else; low: repeat joins).'),
    freeipaInFlight: registry.gauge('novajoin_freeipa_in_flight', 'FreeIPA calls holding a connection slot.'),
    freeipaHoldSeconds: registry.gauge('novajoin_freeipa_slot_hold_seconds', 'Running estimate of how long a FreeIPA call holds a slot; with the queue depth it gives the expected wait that decides shedding.'),
    freeipaQueueWait: registry.histogram('novajoin_freeipa_queue_wait_seconds', 'Time FreeIPA calls waited for a connection slot, by priority.', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    freeipaShed: registry.gauge('novajoin_freeipa_calls_shed', 'FreeIPA calls since start refused without being sent because FreeIPA could not answer them in time (the join answered 503), by priority.'),
  };
}

/** What the FreeIPA client's queue shows, as metrics. */
export function watchFreeIpaQueue(freeipa: FreeIpaClient, metrics: ServerMetrics): void {
  for (const [label, priority] of Object.entries(PRIORITY)) {
    metrics.freeipaQueued.set(() => freeipa.slots.queuedByPriority[priority], { priority: label });
    metrics.freeipaShed.set(() => freeipa.slots.shed[priority], { priority: label });
  }
  metrics.freeipaInFlight.set(() => freeipa.slots.inFlight);
  metrics.freeipaHoldSeconds.set(() => freeipa.slots.holdMs / 1000);
  const names = Object.fromEntries(Object.entries(PRIORITY).map(([label, priority]) => [priority, label]));
  freeipa.on('queue', (event) => metrics.freeipaQueueWait.observe(event.waitMs / 1000, { priority: names[event.priority] ?? String(event.priority) }));
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
