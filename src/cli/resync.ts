/**
 * `novajoin resync`: compare FreeIPA (hosts this service created) with Nova
 * (servers that ask to enroll) and print the plan; `--apply` carries it out
 * through the listener's own code. Exit status: 0 in sync (or all applied),
 * 1 drift found (or left for an operator), 2 error.
 */
import { ConfigError } from '../config/errors.js';
import { createLogger } from '../log/logger.js';
import { resyncFromConfig } from '../resync/from-config.js';
import { terminalProgress } from '../resync/progress.js';
import { planToJson, renderTable } from '../resync/render.js';
import { MassRemovalRefused, runResync } from '../resync/run.js';
import { commandArgs, configFileArg, loadConfiguration } from './common.js';

const USAGE = `Usage: novajoin resync [--config-file FILE] [--apply] [--json] [--project ID|NAME] [--host FQDN] [--force]

Compares every Nova server that asks to enroll with the FreeIPA hosts novajoin
created, and prints what differs: hosts whose instance is gone, services and
subhosts missing or no longer asked for, names bound to another instance, and
hosts handed an OTP more than [DEFAULT] stale_otp_age ago that never enrolled.

  --apply      carry the plan out (the default is a dry run that changes nothing)
  --json       print the plan (and results) as JSON on stdout
  --project    only items of this project (id or name)
  --host       only items of this host
  --force      apply even when the plan removes more than half of the hosts
  --config-file  join.conf (default /etc/novajoin/join.conf or $NOVAJOIN_CONFIG_FILE)

Exit status: 0 in sync (after --apply: everything applied), 1 drift found
(after --apply: items left for an operator), 2 error.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('resync', argv, {
    apply: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    project: { type: 'string' },
    host: { type: 'string' },
    force: { type: 'boolean', default: false },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;

  let built: ReturnType<typeof resyncFromConfig> | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { config, warnings } = loadConfiguration(configFileArg(values));
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    // stdout carries the plan; the log goes to stderr.
    const logger = createLogger({ debug: config.log.debug, format: config.log.format, service: 'novajoin-resync', stream: process.stderr });
    built = resyncFromConfig(config, logger);
    const report = await runResync(built.deps, {
      apply: values.apply,
      project: values.project,
      host: values.host,
      force: values.force,
      signal: abort.signal,
      progress: terminalProgress(process.stderr),
    });
    const input = { plan: report.plan, results: report.results, applied: values.apply, durationMs: report.durationMs };
    process.stdout.write(values.json ? `${JSON.stringify(planToJson(input), null, 2)}\n` : renderTable(input));
    return report.exitCode;
  } catch (error) {
    const message =
      error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof MassRemovalRefused ? error.message : (error as Error).message;
    process.stderr.write(`novajoin resync: ${message}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await built?.close();
  }
}
