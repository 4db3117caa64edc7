/**
 * How the inventory's connections are made: the options checked before any
 * is, one connection opened, secured and bound (simple, GSSAPI, LDAPS or
 * StartTLS) with a deadline on each step, and ldapts' connection hooks with
 * a name resolver of our own.
 */
import { readFile } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import { keytabName } from './gss.js';
import { classify, LdapInventoryError, withDeadline } from './ldap-errors.js';
import type { InventoryOptions } from './ldap-inventory.js';
import { gssapiBind } from './ldap-sasl-gssapi.js';

/** Refused at construction, so a bad configuration fails at start and not at the first resync. */
export function checkInventoryOptions(options: InventoryOptions): void {
  if (!options.url && typeof options.urls !== 'function') throw new LdapInventoryError('an LDAP URL is required');
  for (const raw of [options.url, ...(Array.isArray(options.urls) ? options.urls : [])].filter(Boolean)) {
    const url = new URL(raw);
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new LdapInventoryError(`not an LDAP URL: ${raw}`);
    if (options.starttls && url.protocol === 'ldaps:') throw new LdapInventoryError('starttls applies to ldap:// URLs, not ldaps://');
  }
  if (!Number.isInteger(options.pageSize) || options.pageSize < 1) throw new LdapInventoryError('pageSize must be a positive integer');
  if (!(options.timeoutMs > 0)) throw new LdapInventoryError('timeoutMs must be positive');
  if (!options.baseDn) throw new LdapInventoryError('baseDn is required');
  // A DN with an empty password is an "unauthenticated bind" (RFC 4513 5.1.2): it would
  // quietly act as anonymous. Refuse the configuration instead.
  if (options.bindDn && !options.bindPassword) throw new LdapInventoryError('bindDn is set but bindPassword is empty');
  if (options.gssapi) {
    if (options.bindDn) throw new LdapInventoryError('a GSSAPI bind takes no bindDn');
    if (!options.gssapi.keytab) throw new LdapInventoryError('a GSSAPI bind needs a keytab');
    for (const raw of [options.url, ...(Array.isArray(options.urls) ? options.urls : [])].filter(Boolean)) checkGssapiUrl(raw, !!options.starttls);
  }
}

/** One server's connection, secured and bound as configured; a failure closes it and says which step failed. */
export async function openConnection(url: string, options: InventoryOptions, ccache: string): Promise<Client> {
  const { caFile, starttls, bindDn, bindPassword, gssapi, lookup, timeoutMs } = options;
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = await readFile(caFile);
    } catch (err) {
      throw new LdapInventoryError(`cannot read the LDAP CA file ${caFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const tlsOptions: ConnectionOptions = { minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) };
  const secure = url.startsWith('ldaps:');
  // ldapts switches to TLS at connect time whenever tlsOptions are given, so
  // for StartTLS they go to startTLS() only.
  const client = new Client({
    url,
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
    strictDN: true,
    ...(secure ? { tlsOptions } : {}),
    ...(lookup ? withLookup(lookup) : {}),
  });
  const abort = () => client.unbind().catch(() => {});
  try {
    if (starttls) {
      // StartTLS' own handshake has no deadline in ldapts: give it one.
      const upgrade = { ...tlsOptions, host, ...(isIP(host) ? {} : { servername: host }) };
      await withDeadline(client.startTLS(upgrade), timeoutMs, `StartTLS with ${url}`, abort);
    }
    if (bindDn) await client.bind(bindDn, bindPassword);
    if (gssapi) {
      const bind = gssapiBind(client, { host, keytab: keytabName(gssapi.keytab), ccache, principal: gssapi.principal });
      await withDeadline(bind, timeoutMs, `GSSAPI bind to ${url}`, abort);
    }
  } catch (err) {
    abort();
    const who = bindDn ? ` as ${bindDn}` : gssapi ? ` with GSSAPI as ${gssapi.principal || `the first principal of ${gssapi.keytab}`}` : '';
    throw classify(err, bindDn || gssapi ? `LDAP bind to ${url}${who}` : `LDAP connection to ${url}`, caFile);
  }
  return client;
}

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
