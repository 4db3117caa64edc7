/**
 * Each FreeIPA server's state as gauges, read at scrape time (the list may
 * change with DNS): the same two series on novajoin-server's and
 * novajoin-notify's /metrics, so one alert covers both.
 */
import type { Registry } from './registry.js';

export interface FreeIpaServerState {
  readonly name: string;
  readonly state: 'up' | 'down';
  readonly downUntil: number | null;
}

export function freeIpaServerGauges(registry: Registry, servers: () => readonly FreeIpaServerState[]): void {
  registry.gaugesOf('novajoin_freeipa_server_up', '1 while calls to this FreeIPA server succeed; 0 from a failure until a call to it succeeds again.', ['server'], () =>
    servers().map((s) => ({ labels: { server: s.name }, value: s.state === 'up' ? 1 : 0 })),
  );
  registry.gaugesOf('novajoin_freeipa_server_down_until_seconds', 'Unix time from which calls may try this FreeIPA server again after a failure (past: due for a retry); 0 when it is up.', ['server'], () =>
    servers().map((s) => ({ labels: { server: s.name }, value: s.downUntil ? Math.round(s.downUntil / 1000) : 0 })),
  );
}
