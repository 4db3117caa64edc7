/** The FreeIPA client as the configuration describes it. */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { FreeIpaClient } from './client.js';
import type { FreeIpaAuthOptions, FreeIpaClientOptions } from './client-types.js';
import { FreeIpaAuthError } from './errors.js';
import { urlFor } from './failover.js';

/**
 * The client described by the configuration. With auth = password the
 * password is read from password_file here, once, at start.
 */
export function clientFromConfig(config: Config, logger: Logger, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClient {
  const ipa = config.freeipa;
  const auth: FreeIpaAuthOptions =
    overrides.auth ??
    (ipa.auth === 'password'
      ? { kind: 'password', user: ipa.user, password: readPassword(ipa.passwordFile) }
      : { kind: 'kerberos', keytab: ipa.keytab, principal: ipa.principal || undefined });
  const several = ipa.servers.length > 1 || ipa.discover;
  return new FreeIpaClient({
    url: ipa.url,
    server: ipa.server,
    ...(several ? { servers: ipa.servers.map((name) => ({ name, url: urlFor(ipa.urlTemplate, name) })) } : {}),
    ...(ipa.discover
      ? {
          discovery: {
            domain: ipa.discoveryDomain,
            location: ipa.location || undefined,
            urlTemplate: ipa.urlTemplate,
            refreshMs: ipa.discoveryRefreshMs,
            timeoutMs: Math.min(ipa.timeoutMs, 5_000),
          },
        }
      : {}),
    ...(ipa.dnsServers.length > 0 ? { dnsServers: ipa.dnsServers } : {}),
    serverBackoff: { initialMs: ipa.serverBackoffMs, maxMs: ipa.serverBackoffMaxMs },
    caFile: ipa.caFile,
    apiVersion: ipa.apiVersion,
    timeoutMs: ipa.timeoutMs,
    retries: ipa.retries,
    maxConcurrency: ipa.maxConcurrency,
    logger,
    ...overrides,
    auth,
  });
}

function readPassword(file: string): string {
  if (!file) throw new FreeIpaAuthError('[freeipa] auth = password needs password_file', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FreeIpaAuthError(`cannot read [freeipa] password_file ${file}: ${(error as Error).message}`, 'config', { cause: error });
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new FreeIpaAuthError(`[freeipa] password_file ${file} is empty`, 'config');
  return password;
}

