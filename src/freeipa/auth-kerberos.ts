/**
 * Kerberos login: an SPNEGO token for HTTP@<server> sent as
 * `Authorization: Negotiate <token>` to /ipa/session/login_kerberos
 * (freeipa-api.md 1.3), which answers with the session cookie.
 *
 * Credentials come from the keytab through MIT krb5's client keytab
 * (KRB5_CLIENT_KTNAME) into a credential cache private to this process
 * (KRB5CCNAME=MEMORY:...). GSSAPI then gets a TGT from the keytab when the
 * cache is empty, and a fresh one when the TGT has expired, with no kinit
 * subprocess and nothing written to disk. Both variables are process-wide
 * C environment that libkrb5 reads when a GSSAPI call starts; they are set
 * under a process-wide lock right before our GSSAPI calls (once, when there
 * is a single client, which is the case in the services).
 */
import { access, constants } from 'node:fs/promises';
import type { KerberosClient } from 'kerberos';
import type { Authenticator } from './auth.js';
import { cookieFromLogin } from './auth.js';
import type { HttpsTransport } from './transport.js';
import { FreeIpaAuthError, FreeIpaUnavailableError } from './errors.js';
import { raceDeadline } from './deadline.js';
import { KDC_UNREACHABLE, keytabName, loadKerberos, privateCcache, useCredentials, withGssLock } from './gss.js';

export interface KerberosAuthOptions {
  /** FreeIPA's FQDN: the service principal is HTTP@<server>. */
  readonly server: string;
  readonly keytab: string;
  /** Client principal in the keytab; default its first entry. */
  readonly principal?: string | undefined;
}

export class KerberosAuthenticator implements Authenticator {
  readonly kind = 'kerberos';
  readonly identity: string;
  readonly #options: KerberosAuthOptions;
  readonly #ccache: string;
  readonly #keytab: string;

  constructor(options: KerberosAuthOptions) {
    this.#options = options;
    this.identity = options.principal || `the first principal of ${options.keytab}`;
    this.#keytab = keytabName(options.keytab);
    this.#ccache = privateCcache();
  }

  async login(http: HttpsTransport, deadline: number): Promise<string> {
    const what = 'FreeIPA Kerberos login';
    const token = await raceDeadline(withGssLock(() => this.#token()), deadline, `${what}: getting a Kerberos ticket`);
    const response = await http.request({
      method: 'POST',
      path: '/session/login_kerberos',
      headers: {
        Authorization: `Negotiate ${token.token}`,
        Accept: 'text/plain',
        'Accept-Language': 'en-us',
        Referer: http.referer,
      },
      deadline,
      what,
    });
    const cookie = cookieFromLogin(response, what, this.identity);
    await this.#mutual(token.client, response.headers['www-authenticate'], what);
    return cookie;
  }

  /** A fresh SPNEGO initiator token (never reused: FreeIPA's replay cache would reject it). */
  async #token(): Promise<{ client: KerberosClient; token: string }> {
    if (this.#keytab.startsWith('FILE:')) {
      const path = this.#keytab.slice('FILE:'.length);
      try {
        await access(path, constants.R_OK);
      } catch (error) {
        throw new FreeIpaAuthError(`cannot read the keytab ${path}: ${(error as Error).message}`, 'keytab', { cause: error });
      }
    }
    useCredentials(this.#keytab, this.#ccache);
    const kerberos = await loadKerberos();
    try {
      const client = await kerberos.initializeClient(`HTTP@${this.#options.server}`, {
        mechOID: kerberos.GSS_MECH_OID_SPNEGO,
        ...(this.#options.principal ? { principal: this.#options.principal } : {}),
      });
      const token = await client.step('');
      if (!token) throw new Error('GSSAPI produced no initial token');
      return { client, token };
    } catch (error) {
      throw this.#gssError(error);
    }
  }

  /** Checks FreeIPA's mutual-authentication token when it sends one (it proves the server holds HTTP/<fqdn>). */
  async #mutual(client: KerberosClient, header: string | undefined, what: string): Promise<void> {
    const match = /^Negotiate\s+(\S+)/i.exec(header ?? '');
    if (!match?.[1] || client.contextComplete) return;
    try {
      await withGssLock(() => client.step(match[1] as string));
    } catch (error) {
      throw new FreeIpaAuthError(`${what}: FreeIPA's Kerberos reply did not verify: ${(error as Error).message}`, 'mutual-auth', { cause: error });
    }
  }

  #gssError(error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    if (KDC_UNREACHABLE.test(message)) {
      return new FreeIpaUnavailableError(`cannot get a Kerberos ticket for ${this.identity}: ${message}`, { cause: error });
    }
    return new FreeIpaAuthError(`cannot get a Kerberos ticket for ${this.identity} from ${this.#keytab}: ${message}`, 'gssapi', { cause: error });
  }

  async close(): Promise<void> {
    // The MEMORY cache lives and dies with the process and holds nothing
    // but this service's own tickets; there is no file to remove.
  }
}
