/**
 * `novajoin check`: the configuration, then every dependency, one line each:
 * `OK <what>` or `FAIL <what>: <why> — <fix>`. Probes run side by side, each
 * within its own deadline, and print in a fixed order. Exit 1 on any FAIL.
 */
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/types.js';
import { checkFreeIpa, checkLdap, checkOpenStack, checkRabbit, formatLine, type CheckContext, type CheckLine } from '../check/checks.js';
import { checkNotificationQueues } from '../check/rabbit-queues.js';
import { createLogger } from '../log/logger.js';
import { commandArgs, configFileArg, loadConfiguration } from './common.js';

const USAGE = `Usage: novajoin check [--config-file FILE] [--timeout SECONDS]

Checks the configuration, the FreeIPA login and role, Keystone, Nova, Glance,
RabbitMQ and LDAP, and prints one line each: OK <what>, or
FAIL <what>: <why> — <fix>. Exits 1 when any check fails.

  --timeout  seconds each check may take (default 10)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('check', argv, {
    timeout: { type: 'string', default: '10' },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;
  const seconds = Number(values.timeout);
  if (!(seconds > 0)) {
    process.stderr.write('novajoin check: --timeout must be a positive number of seconds\n');
    return 2;
  }
  const print = (line: CheckLine) => process.stdout.write(`${formatLine(line)}\n`);

  let loaded;
  try {
    loaded = loadConfiguration(configFileArg(values));
  } catch (error) {
    const why = error instanceof ConfigError ? error.message : (error as Error).message;
    print({ ok: false, what: 'configuration', why, fix: 'fix the file named above (`novajoin sample-config` shows every option)' });
    return 1;
  }
  const { config, warnings } = loaded;
  print({ ok: true, what: `configuration ${config.file ?? '(defaults only)'}${warnings.length ? ` (${warnings.length} warning(s): ${warnings.join('; ')})` : ''}` });

  // Only warnings and worse: the lines are the output.
  const logger = createLogger({ format: config.log.format, service: 'novajoin-check', stream: process.stderr });
  logger.level = config.log.debug ? 'debug' : 'warn';
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
  const results = await Promise.all([checkFreeIpa(ctx), checkOpenStack(ctx), checkRabbit(ctx), checkNotificationQueues(ctx), checkLdap(ctx)]);
  const lines = results.flat();
  for (const line of lines) print(line);
  return lines.every((l) => l.ok) ? 0 : 1;
}
