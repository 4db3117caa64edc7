/**
 * Authenticators that ask a real KDC, as FreeIPA's Apache does: SPNEGO
 * (Negotiate) accepted for HTTP/<server> as mod_auth_gssapi does, and
 * login_password checked by getting a ticket with the password, as
 * FreeIPA's kinit does. Used by `novajoin dev --kerberos` and the tests.
 *
 * MIT Kerberos reads KRB5_KTNAME (the HTTP/<server> keytab) and KRB5_CONFIG
 * from the process environment when the first GSSAPI call starts: they must
 * be set before these authenticators are first used, and only one realm can
 * be served per process.
 */
import type { Authenticators, NegotiateResult } from './http.js';
import { loadKerberos } from '../freeipa/gss.js';

export function kerberosAuthenticators(serverName: string, realm: string): Authenticators {
  return {
    async negotiate(token): Promise<NegotiateResult | null> {
      const kerberos = await loadKerberos();
      const server = await kerberos.initializeServer(`HTTP@${serverName}`);
      try {
        const response = await server.step(token);
        if (!server.contextComplete || !server.username) return null;
        return { principal: server.username, ...(response ? { response } : {}) };
      } catch {
        return null;
      }
    },
    async password(user, password) {
      const at = user.lastIndexOf('@');
      if (at >= 0 && user.slice(at + 1) !== realm) return null;
      const principal = at >= 0 ? user : `${user}@${realm}`;
      const kerberos = await loadKerberos();
      try {
        await kerberos.checkPassword(principal, password, `HTTP/${serverName}`, realm);
        return principal;
      } catch {
        return null;
      }
    },
  };
}
