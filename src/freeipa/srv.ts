/**
 * Finding FreeIPA's servers the way its own clients do: DNS SRV records of
 * the domain (`_ldap._tcp.<domain>`), or of a FreeIPA location first
 * (`_ldap._tcp.<location>._locations.<domain>`, which FreeIPA fills with
 * the location's own servers ahead of the others), ordered as RFC 2782 says:
 * lowest priority first, and within a priority a weighted random draw.
 *
 * The resolver is Node's (c-ares): the system's servers by default, or the
 * configured `dns_servers`, which then also resolve the servers' names, so
 * that the SRV answer and the address come from the same place.
 */
import { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { FreeIpaUnavailableError } from './errors.js';

export interface SrvTarget {
  /** The server's FQDN, no trailing dot. */
  readonly name: string;
  /** The LDAP port the record names (the HTTPS port is the URL's). */
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface DiscoveryOptions {
  /** FreeIPA's DNS domain. */
  readonly domain: string;
  /** A FreeIPA location; its servers come first. */
  readonly location?: string | undefined;
  /** "ip" or "ip:port"; empty means the system resolver. */
  readonly dnsServers?: readonly string[] | undefined;
  readonly timeoutMs: number;
}

export interface Discovered {
  /** The record set that answered. */
  readonly query: string;
  /** In the order calls should try them. */
  readonly targets: readonly SrvTarget[];
}

export function makeResolver(dnsServers: readonly string[] | undefined, timeoutMs: number): Resolver {
  // c-ares retries on its own; one retry keeps the total near the timeout.
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(timeoutMs / 2)), tries: 2 });
  if (dnsServers && dnsServers.length > 0) resolver.setServers([...dnsServers]);
  return resolver;
}

/** The SRV targets of the location, else of the domain. Throws FreeIpaUnavailableError when neither has any. */
export async function discoverServers(options: DiscoveryOptions, resolver = makeResolver(options.dnsServers, options.timeoutMs)): Promise<Discovered> {
  const domain = options.domain.replace(/\.$/, '').toLowerCase();
  const queries = [
    ...(options.location ? [`_ldap._tcp.${options.location}._locations.${domain}`] : []),
    `_ldap._tcp.${domain}`,
  ];
  const problems: string[] = [];
  for (const query of queries) {
    try {
      const records = await resolver.resolveSrv(query);
      // A target of "." means "no such service here" (RFC 2782).
      const usable = records.filter((r) => r.name && r.name !== '.');
      if (usable.length > 0) {
        const targets = usable.map((r) => ({ name: r.name.replace(/\.$/, '').toLowerCase(), port: r.port, priority: r.priority, weight: r.weight }));
        return { query, targets: rfc2782Order(targets) };
      }
      problems.push(`${query}: no usable record`);
    } catch (error) {
      problems.push(`${query}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  throw new FreeIpaUnavailableError(`no FreeIPA server found in DNS (${problems.join('; ')})`);
}

/** RFC 2782 order: priority ascending; within one priority, repeated weighted draws (weight 0 rarely first). */
export function rfc2782Order<T extends { priority: number; weight: number }>(records: readonly T[], random: () => number = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) byPriority.set(record.priority, [...(byPriority.get(record.priority) ?? []), record]);
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero-weight records first, as the RFC's selection algorithm arranges them.
    const left = [...byPriority.get(priority)!].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = random() * total;
      let running = 0;
      let index = left.findIndex((r) => (running += r.weight) >= pick);
      if (index < 0) index = left.length - 1;
      ordered.push(left.splice(index, 1)[0]!);
    }
  }
  return ordered;
}

/** dns.lookup-compatible resolution of names through `resolver` (A, then AAAA). */
export function resolverLookup(resolver: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    const all = typeof options === 'object' && options.all === true;
    const done = (addresses: { address: string; family: number }[]) => {
      const first = addresses[0];
      if (!first) {
        const error: NodeJS.ErrnoException = new Error(`cannot resolve ${hostname}: no A or AAAA record`);
        error.code = 'ENOTFOUND';
        callback(error, '', 4);
      } else if (all) (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      else callback(null, first.address, first.family);
    };
    resolver
      .resolve4(hostname)
      .then((v4) => v4.map((address) => ({ address, family: 4 })))
      .catch(() => [] as { address: string; family: number }[])
      .then(async (v4) => (v4.length > 0 ? v4 : (await resolver.resolve6(hostname).catch(() => [] as string[])).map((address) => ({ address, family: 6 }))))
      .then(done, (error: NodeJS.ErrnoException) => callback(error, '', 4));
  };
}
