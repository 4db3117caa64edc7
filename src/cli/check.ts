/**
 * `novajoin check`: the configuration, then every dependency, one line each:
 * `OK <what>` or `FAIL <what>: <why> — <fix>`, or with --json one document.
 * Checks run side by side, each within its own deadline, and print in the
 * order of the check list. Only the report goes to stdout; log records go to
 * stderr. Exit 1 on any FAIL, 2 on a configuration or usage error.
 */
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/types.js';
import { formatLine, type CheckContext, type CheckLine } from '../check/checks.js';
import { CHECKS } from '../check/list.js';
import { checkReport } from '../check/report.js';
import { createLogger } from '../log/logger.js';
import { commandArgs, loadConfiguration } from './common.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';
import { COMMON_OPTIONS_HELP } from './options.js';

const USAGE = `Usage: novajoin check [--config-file FILE] [--timeout SECONDS] [--json] [--log-format FMT] [--debug]

Checks the configuration, the files it names (CA, keytab, OTP secret, passwords),
the FreeIPA login and role, Keystone, Nova, Glance, RabbitMQ and LDAP, and prints
one line each: OK <what>, or FAIL <what>: <why> — <fix>.

  --timeout SECONDS   seconds each check may take (default 10)
  --json              print one JSON document {"ok": ..., "checks": [{ok, what, why, fix}]}
${COMMON_OPTIONS_HELP}
${EXIT_STATUS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('novajoin check', argv, {
    timeout: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;
  const seconds = Number(values.timeout);
  if (!(seconds > 0)) {
    process.stderr.write('novajoin check: --timeout must be a positive number of seconds\n');
    return EXIT_USAGE;
  }
  const lines: CheckLine[] = [];
  const print = (line: CheckLine) => {
    lines.push(line);
    if (!values.json) process.stdout.write(`${formatLine(line)}\n`);
  };
  const finish = (status: number) => {
    if (values.json) process.stdout.write(`${JSON.stringify(checkReport(lines), null, 2)}\n`);
    return status;
  };

  let loaded;
  try {
    loaded = loadConfiguration(values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      const where = `${problem.file}${problem.line === null ? '' : `:${problem.line}`}`;
      const option = problem.section === '-' ? '' : ` [${problem.section}]${problem.option ? ` ${problem.option}` : ''}`;
      print({ ok: false, what: `configuration ${where}${option}`, why: problem.detail, fix: 'fix the file (`novajoin sample-config` shows every option)' });
    }
    return finish(EXIT_USAGE);
  }
  const { config, warnings } = loaded;
  print({ ok: true, what: `configuration ${config.file ?? '(defaults only)'}${warnings.length ? ` (${warnings.length} warning(s): ${warnings.join('; ')})` : ''}` });

  // The report carries every failure; log records only with --debug (or an internal error), and on stderr.
  const logger = createLogger({ format: config.log.format, service: 'novajoin-check', stream: process.stderr });
  logger.level = config.log.debug ? 'debug' : 'error';
  const timeoutMs = seconds * 1000;
  // Each client's own timeouts are capped by the check's, so an abandoned
  // probe does not keep the process alive past its deadline.
  const cap = (ms: number) => Math.min(ms, timeoutMs);
  const capped: Config = {
    ...config,
    freeipa: { ...config.freeipa, timeoutMs: cap(config.freeipa.timeoutMs) },
    ldap: { ...config.ldap, timeoutMs: cap(config.ldap.timeoutMs) },
    serviceCredentials: { ...config.serviceCredentials, timeoutMs: cap(config.serviceCredentials.timeoutMs) },
  };
  const ctx: CheckContext = { config: capped, logger, timeoutMs };
  const results = await Promise.all(CHECKS.map((check) => check(ctx).catch((error: unknown): CheckLine => ({ ok: false, what: check.name || 'check', why: String(error), fix: 'report this: a check must not throw' }))));
  for (const line of results.flat()) print(line);
  return finish(lines.every((l) => l.ok) ? EXIT_OK : EXIT_FINDINGS);
}
