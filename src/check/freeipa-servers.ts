/**
 * `novajoin check` with several FreeIPA servers: where the list comes from
 * (the SRV records found, or the configured list) and one line per server,
 * each probed on its own (login and ping), so that a replica that is down
 * shows even while the others carry the calls.
 */
import type { Config } from '../config/types.js';
import { clientFromConfig, type ServerEndpoint } from '../freeipa/client.js';
import { urlFor } from '../freeipa/failover.js';
import { discoverServers } from '../freeipa/srv.js';
import type { CheckContext, CheckLine } from './checks.js';

export function hasSeveralServers(config: Config): boolean {
  return config.freeipa.discover || config.freeipa.servers.length > 1;
}

export async function checkFreeIpaServers(ctx: CheckContext, fixFor: (error: unknown) => string): Promise<CheckLine[]> {
  const { config } = ctx;
  const ipa = config.freeipa;
  if (!hasSeveralServers(config)) return [];
  const lines: CheckLine[] = [];
  let endpoints: ServerEndpoint[] = ipa.servers.map((name) => ({ name, url: urlFor(ipa.urlTemplate, name) }));
  if (ipa.discover) {
    const what = `FreeIPA servers in DNS${ipa.location ? ` (location ${ipa.location} first)` : ''} of ${ipa.discoveryDomain}${ipa.dnsServers.length ? ` via ${ipa.dnsServers.join(', ')}` : ''}`;
    try {
      const found = await discoverServers({ domain: ipa.discoveryDomain, location: ipa.location || undefined, dnsServers: ipa.dnsServers, timeoutMs: Math.min(ctx.timeoutMs, 5_000) });
      endpoints = found.targets.map((t) => ({ name: t.name, url: urlFor(ipa.urlTemplate, t.name) }));
      lines.push({ ok: true, what: `${what}: ${found.query} names ${endpoints.map((e) => e.name).join(', ')}` });
    } catch (error) {
      lines.push({
        ok: false,
        what,
        why: (error as Error).message,
        fix: `publish _ldap._tcp.${ipa.discoveryDomain} SRV records (FreeIPA's DNS does), or set [freeipa] dns_servers, or list the servers in [freeipa] server with discover = false`,
      });
      if (ipa.servers.length === 0) return lines;
    }
  }
  const probes = endpoints.map(async (endpoint): Promise<CheckLine> => {
    const what = `FreeIPA server ${endpoint.name} (${endpoint.url})`;
    const client = clientFromConfig(config, ctx.logger.child({ component: 'freeipa', server: endpoint.name }), { retries: 0, servers: [endpoint], discovery: undefined, url: endpoint.url, server: endpoint.name });
    try {
      const summary = await client.ping({ deadline: Date.now() + ctx.timeoutMs });
      return { ok: true, what: `${what} is up: ${summary}` };
    } catch (error) {
      return { ok: false, what: `${what} is down`, why: (error as Error).message.replace(/\s+/g, ' ').slice(0, 300), fix: fixFor(error) };
    } finally {
      await client.close();
    }
  });
  return [...lines, ...(await Promise.all(probes))];
}
