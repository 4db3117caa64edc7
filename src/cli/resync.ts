/**
 * `novajoin resync`: compare FreeIPA (hosts this service created) with Nova
 * (servers that ask to enroll) and print the plan; `--apply` carries it out
 * through the listener's own code. Exit status: 0 in sync (or all applied),
 * 1 drift found (or left for an operator) or a failure, 2 usage or configuration.
 */
import { createLogger } from '../log/logger.js';
import { resyncFromConfig } from '../resync/from-config.js';
import { terminalProgress } from '../resync/progress.js';
import { planToJson, renderTable } from '../resync/render.js';
import { runResync } from '../resync/run.js';
import { commandArgs, loadConfiguration } from './common.js';
import { describeFailure, EXIT_FINDINGS } from './exit.js';
import { COMMON_OPTIONS_HELP } from './options.js';

const USAGE = `Usage: novajoin resync [--config-file FILE] [--log-format FMT] [--debug]
                       [--apply] [--json] [--project ID|NAME] [--host FQDN] [--force]

Compares every Nova server that asks to enroll with the FreeIPA hosts novajoin
created, and prints what differs: hosts whose instance is gone, services and
subhosts missing or no longer asked for, names bound to another instance, and
hosts handed an OTP more than [DEFAULT] stale_otp_age ago that never enrolled.

  --apply      carry the plan out (the default is a dry run that changes nothing)
  --json       print the plan (and results) as JSON on stdout
  --project    only items of this project (id or name)
  --host       only items of this host
  --force      apply even when the plan removes more than half of the hosts
${COMMON_OPTIONS_HELP}
Exit status: 0 in sync (after --apply: everything applied); 1 drift found
(after --apply: items left for an operator) or a failure; 2 usage or
configuration error, nothing done.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('novajoin resync', argv, {
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
    const { config, warnings } = loadConfiguration(values, ['freeipa', 'freeipa-login', 'ldap']);
    for (const warning of warnings) process.stderr.write(`${warning}\n`);
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
    // An unreachable dependency is a failure (1), not an empty plan; a bad file or flag is 2.
    const { lines, status } = describeFailure(error, EXIT_FINDINGS);
    for (const line of lines) process.stderr.write(`novajoin resync: ${line}\n`);
    return status;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await built?.close();
  }
}
