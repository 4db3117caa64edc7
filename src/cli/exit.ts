/**
 * One exit-status convention for every command, daemons included, so
 * scripts and systemd read them the same way: 0 all good, 1 something was
 * found or failed (drift, a FAIL line, a dependency down), 2 the command
 * line or the configuration is wrong (nothing was done).
 */
import { ConfigError } from '../config/errors.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** Appended to every command's --help. */
export const EXIT_STATUS_HELP = `Exit status: 0 success; 1 findings or a failure (see the output); 2 usage or configuration error, nothing done.
`;

/** A bad command line: the message names the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The lines to print for a failure, and its exit status. */
export function describeFailure(error: unknown, failureStatus: number = EXIT_FINDINGS): { lines: string[]; status: number } {
  if (error instanceof ConfigError) {
    const count = error.problems.length;
    return { lines: [...error.message.split('\n'), `${count} configuration error${count === 1 ? '' : 's'}; nothing started`], status: EXIT_USAGE };
  }
  if (error instanceof UsageError) return { lines: [error.message], status: EXIT_USAGE };
  if (isParseArgsError(error)) return { lines: [(error as Error).message], status: EXIT_USAGE };
  return { lines: [error instanceof Error ? error.message : String(error)], status: failureStatus };
}

/** util.parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options. */
export function isParseArgsError(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && String((error as { code: string }).code).startsWith('ERR_PARSE_ARGS_');
}
