/**
 * The `ipa_session` cookie sessions that mod_auth_gssapi keeps for FreeIPA
 * (GssapiUseSessions): an opaque `MagBearerToken=...` value bound to a
 * principal, valid for a lifetime (the credentials' life in FreeIPA; a
 * setting here, so that tests can make it short), and revocable at once.
 */
import { randomBytes } from 'node:crypto';

export const COOKIE_NAME = 'ipa_session';

export interface Session {
  readonly principal: string;
  readonly expiresAt: number;
}

export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(public lifetimeMs: number) {}

  /** A new session; returns the cookie value (`MagBearerToken=<opaque>`). */
  create(principal: string): string {
    this.sweep();
    const value = `MagBearerToken=${randomBytes(32).toString('base64url')}`;
    this.sessions.set(value, { principal, expiresAt: Date.now() + this.lifetimeMs });
    return value;
  }

  /** The live session of a cookie value, or null (an expired one is forgotten). */
  get(value: string | null | undefined): Session | null {
    if (!value) return null;
    // ipalib strips mod_session's "&expiry=<n>" before sending the cookie back; accept both forms.
    const key = value.replace(/&expiry=\d+$/, '');
    const session = this.sessions.get(key);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      this.sessions.delete(key);
      return null;
    }
    return session;
  }

  delete(value: string | null | undefined): void {
    if (value) this.sessions.delete(value.replace(/&expiry=\d+$/, ''));
  }

  /** Ends every session now (tests: "the cookie expired"). */
  expireAll(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    if (this.sessions.size < 10_000) return;
    const now = Date.now();
    for (const [k, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(k);
  }
}

/** The `ipa_session` value from a Cookie header. */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith(`${COOKIE_NAME}=`)) return trimmed.slice(COOKIE_NAME.length + 1);
  }
  return null;
}

/** The Set-Cookie FreeIPA's Apache sends (4.5-4.13.1 flags). */
export function setCookieHeader(value: string): string {
  return `${COOKIE_NAME}=${value}; path=/ipa; httponly; secure`;
}
