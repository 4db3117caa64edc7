/**
 * Authenticators for `novajoin dev`, which runs without Kerberos: a table of
 * user passwords for login_password, and no Negotiate at all. Passwords are
 * compared in constant time; `admin` and `admin@REALM` both work, as with
 * FreeIPA's enterprise-principal kinit.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Authenticators } from './http.js';

export function passwordTableAuthenticators(passwords: Readonly<Record<string, string>>, realm: string): Authenticators {
  return {
    async password(user, password) {
      const at = user.lastIndexOf('@');
      const name = at >= 0 ? user.slice(0, at) : user;
      if (at >= 0 && user.slice(at + 1).toUpperCase() !== realm.toUpperCase()) return null;
      const expected = passwords[name];
      if (expected === undefined) return null;
      const a = Buffer.from(password);
      const b = Buffer.from(expected);
      return a.length === b.length && timingSafeEqual(a, b) ? `${name}@${realm}` : null;
    },
    async negotiate() {
      return null;
    },
  };
}
