/**
 * What a login method does: one exchange with a /ipa/session/login_* URL
 * that ends with an `ipa_session` cookie. Retries of a 5xx or a broken
 * connection are the caller's (retry.ts); a refusal is final.
 */
import type { HttpResponse, HttpsTransport } from './transport.js';
import { FreeIpaAuthError } from './errors.js';
import { ServerStatusError } from './retry.js';
import { protocolError } from './codec.js';
import { sessionCookie } from './session.js';

export interface Authenticator {
  readonly kind: 'kerberos' | 'password';
  /** Who logs in, for messages (a principal or user name, never a secret). */
  readonly identity: string;
  /** One login exchange; resolves with the session cookie value. */
  login(http: HttpsTransport, deadline: number): Promise<string>;
  close(): Promise<void>;
}

/** Turns the answer of a login URL into the cookie, or the typed failure. */
export function cookieFromLogin(response: HttpResponse, what: string, identity: string): string {
  if (response.status >= 500) throw new ServerStatusError(response.status, what);
  if (response.status === 401 || response.status === 403) {
    const header = response.headers['x-ipa-rejection-reason'];
    const reason = (Array.isArray(header) ? header[0] : header) ?? 'denied';
    throw new FreeIpaAuthError(`${what}: FreeIPA refused the login of ${identity} (${reason})`, reason);
  }
  if (response.status !== 200) {
    // 400 "denied" is FreeIPA's answer to a bad Referer (CVE-2023-5455 fix);
    // a 3xx means the URL or Host is not the server's canonical name.
    throw protocolError(`${what}: FreeIPA answered HTTP ${response.status} to the login of ${identity}`, { status: response.status });
  }
  const cookie = sessionCookie(response.headers);
  if (!cookie) throw protocolError(`${what}: FreeIPA accepted the login of ${identity} but set no ipa_session cookie`);
  return cookie;
}
