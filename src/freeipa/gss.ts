/**
 * What every GSSAPI user in the process shares: the lazily loaded `kerberos`
 * addon, and one lock. MIT krb5 reads KRB5_CLIENT_KTNAME and KRB5CCNAME from
 * the process environment when a GSSAPI call starts, so the FreeIPA login
 * (HTTP) and the LDAP bind must never interleave their calls.
 */
type KerberosModule = typeof import('kerberos');

let kerberosModule: Promise<KerberosModule> | null = null;

/** The native addon loads on first use, so password-only deployments never need it. */
export function loadKerberos(): Promise<KerberosModule> {
  kerberosModule ??= import('kerberos').then((mod) => ((mod as { default?: KerberosModule }).default ?? mod) as KerberosModule);
  return kerberosModule;
}

let gssLock: Promise<unknown> = Promise.resolve();
let cacheCounter = 0;

/** Runs fn after every GSSAPI call already queued in the process. */
export function withGssLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = gssLock.then(fn, fn);
  gssLock = run.catch(() => undefined);
  return run;
}

/** A credential cache private to one user of a keytab, in memory: nothing written to disk. */
export function privateCcache(): string {
  cacheCounter += 1;
  return `MEMORY:novajoin-${process.pid}-${cacheCounter}`;
}

/** Points libkrb5 at this keytab and cache; call inside withGssLock, right before the GSSAPI call. */
export function useCredentials(keytab: string, ccache: string): void {
  process.env['KRB5_CLIENT_KTNAME'] = keytab;
  process.env['KRB5CCNAME'] = ccache;
}

/** "FILE:<path>" for a bare path, as KRB5_CLIENT_KTNAME wants it. */
export function keytabName(keytab: string): string {
  return /^[A-Z]+:/.test(keytab) ? keytab : `FILE:${keytab}`;
}

/** KDC or network trouble: the login may work later, so it is not an auth refusal. */
export const KDC_UNREACHABLE = /Cannot contact any KDC|Cannot find KDC|Connection refused|timed out|Resource temporarily unavailable/i;
