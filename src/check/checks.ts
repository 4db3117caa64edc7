/**
 * `novajoin check`: one probe per dependency, each with its own deadline,
 * each turned into one line that says what was checked, why it failed and
 * what to do about it. A probe never throws; it returns its line.
 */
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { OpenStackOptions } from '../openstack/index.js';

export interface CheckLine {
  readonly ok: boolean;
  readonly what: string;
  readonly why?: string;
  readonly fix?: string;
}

/**
 * One check of `novajoin check`: independent of the others, never throws,
 * returns its line or lines. The list of checks is in list.ts.
 */
export type Check = (ctx: CheckContext) => Promise<CheckLine | readonly CheckLine[]>;

export function formatLine(line: CheckLine): string {
  return line.ok ? `OK ${line.what}` : `FAIL ${line.what}: ${line.why ?? 'failed'} — ${line.fix ?? 'see the log'}`;
}

export class CheckTimeout extends Error {}

/** Runs `probe` within `ms`; a late answer is a failure with the deadline as the reason. */
export async function withDeadline<T>(ms: number, probe: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CheckTimeout(`no answer within ${(ms / 1000).toFixed(1)} s`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([probe(controller.signal), late]);
  } finally {
    clearTimeout(timer);
  }
}

export const fail = (what: string, error: unknown, fix: string): CheckLine => ({ ok: false, what, why: oneLine(error), fix });

export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export interface CheckContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly openstack?: OpenStackOptions;
}
