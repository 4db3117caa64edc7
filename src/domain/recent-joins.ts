/**
 * What this process answered recently, so that Nova's repeats (five POSTs per
 * config drive, one per guest read) cost FreeIPA nothing (design B1, B7).
 *
 * An answer is kept for `ttlMs` from the FreeIPA call it came from (a hit
 * never extends it) and only for the same request: same instance, project
 * and FQDN (the key), and the same image, hostname and metadata (a rebuild
 * onto another image, or new metadata, asks FreeIPA again). Only answers
 * that carry an OTP of a host waiting to enroll are kept.
 *
 * Why an answer from memory is safe:
 * - Other replicas: the OTP is HMAC(secret; fqdn, instance, generation) and
 *   the generation is the one FreeIPA held when this process asked, so any
 *   replica that asks FreeIPA within the same time answers the same OTP.
 * - Enrollment: once the guest has enrolled, FreeIPA has cleared the OTP and
 *   refuses a password for the host; a repeat answered from memory during
 *   the rest of the TTL hands the same instance an OTP that no longer opens
 *   anything.
 * - Rebuild: novajoin-notify (another process) disables the host, and the
 *   next join should get a new generation. This process does not hear of it,
 *   so for what is left of the TTL a rebuilt guest can be handed the old
 *   OTP; it fails to enroll (FreeIPA refuses it) and stays out of FreeIPA
 *   until ipa-client-install is run again with a fresh answer. That needs
 *   the guest to have enrolled, the instance to be rebuilt, and the rebuilt
 *   guest to ask, all within one TTL of the first answer: a rebuild takes
 *   longer than the default 30 s on its own, and a config-drive rebuild asks
 *   before Nova even sends rebuild.end. join_cache_ttl = 0 turns this off.
 *
 * Instances answered before are also remembered without their answer (as
 * long as the bounded table keeps them): a later join for one of them is a
 * repeat, which asks FreeIPA with a read first and gives way to first joins
 * when FreeIPA is saturated.
 */
import type { JoinAnswer } from './join.js';

export interface RecentKey {
  readonly instanceId: string;
  readonly projectId: string;
  readonly fqdn: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly answer: JoinAnswer | null;
  readonly answerUntil: number;
}

export interface RecentLookup {
  /** The answer to give without asking FreeIPA, or null. */
  readonly answer: JoinAnswer | null;
  /** This process answered the instance before. */
  readonly seen: boolean;
}

/** About 300 bytes each: 10,000 is 3 MB, and more instances than one FreeIPA server creates in a TTL. */
export const RECENT_JOINS_MAX = 10_000;

export class RecentJoins {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#max = options.maxEntries ?? RECENT_JOINS_MAX;
    this.#now = options.now ?? Date.now;
  }

  lookup(key: RecentKey, fingerprint: string): RecentLookup {
    const id = keyOf(key);
    const entry = this.#entries.get(id);
    if (!entry) return { answer: null, seen: false };
    // Map order is insertion order: re-inserting keeps the least recently used first.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    const fresh = entry.answer !== null && entry.fingerprint === fingerprint && this.#now() < entry.answerUntil;
    return { answer: fresh ? entry.answer : null, seen: true };
  }

  /** Records an answer just built from FreeIPA; null when it must not be given from memory. */
  remember(key: RecentKey, fingerprint: string, answer: JoinAnswer | null): void {
    const id = keyOf(key);
    this.#entries.delete(id);
    const keep = answer !== null && this.#ttlMs > 0 && 'ipaotp' in answer;
    this.#entries.set(id, { fingerprint, answer: keep ? answer : null, answerUntil: keep ? this.#now() + this.#ttlMs : 0 });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

function keyOf(key: RecentKey): string {
  return `${key.instanceId.toLowerCase()}\0${key.projectId}\0${key.fqdn}`;
}
