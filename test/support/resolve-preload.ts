/**
 * Loaded with `node --import` into a CLI subprocess under test: names listed
 * in NOVAJOIN_TEST_HOSTS ("ipa.example.test=127.0.0.1,...") resolve to the
 * given address, as /etc/hosts would make them, so the real TLS name, Host
 * and Referer of the test FreeIPA server (ipa.example.test on 127.0.0.1) work
 * without touching the machine's /etc/hosts. Tests only; never in src/.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const table = new Map(
  (process.env['NOVAJOIN_TEST_HOSTS'] ?? '')
    .split(',')
    .map((pair) => pair.split('='))
    .filter((pair): pair is [string, string] => pair.length === 2 && !!pair[0] && !!pair[1])
    .map(([name, address]) => [name.toLowerCase(), address]),
);

if (table.size > 0) {
  const original = dns.lookup;
  const patched = ((hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address: unknown, family?: number) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    const address = table.get(String(hostname).toLowerCase());
    if (address === undefined) return (original as (...args: unknown[]) => void)(hostname, options, callback);
    const family = address.includes(':') ? 6 : 4;
    process.nextTick(() => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  }) as typeof dns.lookup;
  dns.lookup = patched;
  syncBuiltinESMExports();
}
