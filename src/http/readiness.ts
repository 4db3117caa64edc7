/**
 * /readyz answers from one shared result, recomputed at most once per
 * interval, whoever asks and however often: the endpoint is unauthenticated,
 * and each computation is a FreeIPA ping and a Keystone call. Failures are
 * logged here with their detail; callers only learn which check failed.
 */
import type { Logger } from '../log/logger.js';

/** A dependency check for /readyz; throws when not ready. */
export type ReadinessCheck = {
  readonly name: string;
  check(): Promise<void>;
  /** What to show beside the outcome, e.g. each FreeIPA server's state; never error text. */
  details?(): Record<string, unknown>;
};

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: ReadonlyArray<{ readonly name: string; readonly ok: boolean } & Record<string, unknown>>;
}

export class Readiness {
  #last: { report: ReadinessReport; at: number } | null = null;
  #running: Promise<ReadinessReport> | null = null;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  report(): Promise<ReadinessReport> {
    if (this.#last && this.now() - this.#last.at < this.intervalMs) return Promise.resolve(this.#last.report);
    this.#running ??= this.#compute().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #compute(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      this.checks.map(async (c) => {
        const details = () => (c.details ? c.details() : {});
        try {
          await c.check();
          return { name: c.name, ok: true, ...details() };
        } catch (error) {
          this.logger.warn('readiness check failed', { check: c.name, error: error instanceof Error ? error : String(error) });
          return { name: c.name, ok: false, ...details() };
        }
      }),
    );
    const report = { ready: checks.every((c) => c.ok), checks };
    this.#last = { report, at: this.now() };
    return report;
  }
}
