/**
 * How the inventory's connections are made: the checks a GSSAPI bind needs
 * of a URL, and ldapts' connection hooks with a name resolver of our own.
 */
import type { LookupFunction } from 'node:net';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { LdapInventoryError } from './ldap-errors.js';

/**
 * GSSAPI names the server by the URL's host (ldap/<host>, never a reverse
 * lookup), and this client negotiates no SASL security layer, so TLS must
 * protect the connection.
 */
export function checkGssapiUrl(raw: string, starttls: boolean): void {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) throw new LdapInventoryError(`GSSAPI needs the LDAP server's host name in the URL, not ${host}: its Kerberos principal is ldap/<host name>`);
  if (url.protocol !== 'ldaps:' && !starttls) throw new LdapInventoryError(`GSSAPI binds need TLS: use ldaps:// or StartTLS for ${raw}`);
}

/** ldapts' connection hooks with our name resolution (ldapts calls the TLS one with a single options object for StartTLS). */
export function withLookup(lookup: LookupFunction): { createConnection: typeof netConnect; createSecureConnection: typeof tlsConnect } {
  const createConnection = ((port: number, host: string) => netConnect({ port, host, lookup })) as unknown as typeof netConnect;
  const createSecureConnection = ((...args: unknown[]) => {
    if (typeof args[0] === 'object' && args[0] !== null) return tlsConnect(args[0] as ConnectionOptions);
    const [port, host, options] = args as [number, string, ConnectionOptions | undefined];
    return tlsConnect({ ...options, port, host, lookup, ...(isIP(host) ? {} : { servername: host }) });
  }) as unknown as typeof tlsConnect;
  return { createConnection, createSecureConnection };
}
