/**
 * Polls until a condition holds: the one way the tests wait for something
 * another process does (a listener applying a message, a server coming up).
 */
export interface UntilOptions {
  /** Default 20 s. */
  readonly timeoutMs?: number;
  /** Between probes; default 100 ms. */
  readonly intervalMs?: number;
  /** A probe that throws counts as "not yet" instead of failing the wait (a server still starting). */
  readonly tolerateErrors?: boolean;
}

/** The probe's first value that `ok` accepts; throws "timed out waiting for <what>" after the timeout. */
export async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, options: UntilOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    let value: T | undefined;
    let got = false;
    try {
      value = await probe();
      got = true;
    } catch (error) {
      if (!options.tolerateErrors) throw error;
    }
    if (got && ok(value as T)) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
