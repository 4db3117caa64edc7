/**
 * The `ipa_session` cookie and the single login that produces it. However
 * many calls find the session missing or expired at once, one login runs
 * and they all wait for it (a boot storm must not turn into a login storm).
 *
 * Generations make invalidation precise: a call that got 401 with the
 * cookie of generation g only drops the session if it is still generation
 * g, so a 401 arriving after someone else already logged in again does not
 * throw the fresh session away.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { raceDeadline } from './deadline.js';

export const COOKIE_NAME = 'ipa_session';

export interface SessionToken {
  readonly cookie: string;
  readonly generation: number;
}

export class Session {
  #token: SessionToken | null = null;
  #pending: Promise<SessionToken> | null = null;
  #generation = 0;

  /**
   * @param login performs one login and returns the cookie value; it runs
   *   under its own deadline, not a caller's, because every waiting caller
   *   shares it.
   */
  constructor(private readonly login: () => Promise<string>) {}

  get current(): SessionToken | null {
    return this.#token;
  }

  /** The current session, logging in first if there is none. Waiting ends at the caller's deadline. */
  ensure(deadline: number): Promise<SessionToken> {
    if (this.#token) return Promise.resolve(this.#token);
    if (!this.#pending) {
      const pending = this.login().then(
        (cookie) => {
          this.#generation += 1;
          this.#token = { cookie, generation: this.#generation };
          return this.#token;
        },
      );
      this.#pending = pending;
      // Clear only our own promise: a failed login is not cached, so the
      // next call tries again (once per call, never in a loop).
      const clear = () => {
        if (this.#pending === pending) this.#pending = null;
      };
      pending.then(clear, clear);
    }
    return raceDeadline(this.#pending, deadline, 'logging in to FreeIPA');
  }

  /** Drops the session if `generation` is still the current one (it got a 401). */
  invalidate(generation: number): void {
    if (this.#token?.generation === generation) this.#token = null;
  }

  /** FreeIPA may refresh the cookie on any reply; keep the newest value. */
  refresh(generation: number, headers: IncomingHttpHeaders): void {
    const cookie = sessionCookie(headers);
    if (cookie && this.#token?.generation === generation && cookie !== this.#token.cookie) {
      this.#token = { cookie, generation };
    }
  }

  clear(): void {
    this.#token = null;
  }
}

/**
 * The `ipa_session` value from Set-Cookie, or null. An empty bearer token
 * (`MagBearerToken=`) is FreeIPA clearing the cookie, not a session. The
 * value is opaque and sent back as is.
 */
export function sessionCookie(headers: IncomingHttpHeaders): string | null {
  for (const line of headers['set-cookie'] ?? []) {
    const first = line.split(';', 1)[0] ?? '';
    const eq = first.indexOf('=');
    if (eq < 0 || first.slice(0, eq).trim() !== COOKIE_NAME) continue;
    const value = first.slice(eq + 1).trim();
    if (value === '' || /^MagBearerToken=$/.test(value)) return null;
    return value;
  }
  return null;
}
