/**
 * The test FreeIPA is named ipa.example.test but listens on 127.0.0.1: a
 * dns.lookup-compatible resolver that knows that one name, for the FreeIPA
 * client's `lookup` option (TLS, Host and Referer still say the real name).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';

export function pinnedLookup(serverName: string, address = '127.0.0.1'): LookupFunction {
  const name = serverName.toLowerCase();
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (hostname.toLowerCase() !== name) return void dnsLookup(hostname, options, callback as never);
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  };
  return lookup as unknown as LookupFunction;
}
