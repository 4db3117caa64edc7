/** The server's metrics, in one place so the names stay consistent. */
import { Registry } from '../metrics/registry.js';

export function createServerMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.counter('novajoin_join_requests_total', 'Join requests by outcome (created, waiting, enrolled, reissued, not_requested, conflict, or an error code).'),
    duration: registry.histogram('novajoin_join_duration_seconds', 'Time to answer a join request.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    otps: registry.counter('novajoin_otps_issued_total', 'OTPs set in FreeIPA (first joins and re-issues after a rebuild).'),
    conflicts: registry.counter('novajoin_host_conflicts_total', 'Joins refused because the name is bound to another instance (B2).'),
    serviceProblems: registry.counter('novajoin_service_requests_refused_total', 'Service principal requests refused by policy or by FreeIPA.'),
    freeipaCalls: registry.gauge('novajoin_freeipa_round_trips', 'FreeIPA HTTP round trips since start.'),
    freeipaLogins: registry.gauge('novajoin_freeipa_logins', 'FreeIPA session logins since start.'),
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
