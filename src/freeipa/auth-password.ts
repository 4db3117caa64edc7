/**
 * Password login: a form POST to /ipa/session/login_password
 * (freeipa-api.md 1.2). FreeIPA kinits on our behalf and answers 200 with
 * the session cookie, or 401 with X-IPA-Rejection-Reason.
 */
import type { Authenticator } from './auth.js';
import { cookieFromLogin } from './auth.js';
import type { HttpsTransport } from './transport.js';

export class PasswordAuthenticator implements Authenticator {
  readonly kind = 'password';
  readonly #password: string;

  constructor(readonly identity: string, password: string) {
    this.#password = password;
  }

  async login(http: HttpsTransport, deadline: number): Promise<string> {
    const what = 'FreeIPA password login';
    const response = await http.request({
      method: 'POST',
      path: '/session/login_password',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'text/plain',
        'Accept-Language': 'en-us',
        Referer: http.referer,
      },
      body: new URLSearchParams({ user: this.identity, password: this.#password }).toString(),
      deadline,
      what,
    });
    return cookieFromLogin(response, what, this.identity);
  }

  async close(): Promise<void> {}
}
