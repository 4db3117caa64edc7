/**
 * What every entry point shares: reading the version, loading the
 * configuration (printing its warnings), building the logger, and turning a
 * fatal error into its lines and an exit status (see exit.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile, resolveConfigFile, type LoadedConfig, type Needs } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { describeFailure, EXIT_FINDINGS, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';
import { COMMON_OPTIONS, COMMON_OPTIONS_HELP, configFileArg, logOverrides, withLogOverrides, type CommonValues } from './options.js';

export { commandArgs, configFileArg } from './options.js';

export function packageVersion(): string {
  // src/cli and dist/cli are both two levels below the package root
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The configuration named on the command line (or by the environment), with
 * what this process needs of it checked at once, and --log-format/--debug
 * applied. Throws a ConfigError listing every problem.
 */
export function loadConfiguration(values: Partial<CommonValues> | string | undefined, needs: Needs = []): LoadedConfig {
  const options = typeof values === 'object' ? values : { 'config-file': values };
  const loaded = loadConfigFile(resolveConfigFile(configFileArg(options)), needs);
  return { ...loaded, config: withLogOverrides(loaded.config, options) };
}

export function serviceLogger(config: Config, service: string): Logger {
  return createLogger({ debug: config.log.debug, format: config.log.format, service });
}

/** Runs `main`; a failure is printed on stderr with `prefix` and gives its exit status (failures: `code`). */
export async function runMain(main: () => Promise<number | void>, code: number = EXIT_FINDINGS, prefix = ''): Promise<void> {
  try {
    const status = await main();
    if (typeof status === 'number') process.exitCode = status;
  } catch (error) {
    const { lines, status } = describeFailure(error, code);
    for (const line of lines) process.stderr.write(`${prefix}${line}\n`);
    process.exitCode = status;
  }
}

/** Resolves on the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

/**
 * The shared front of the two daemons: the common options, --version, the
 * configuration loaded with what the daemon needs and its warnings logged,
 * then `start`.
 */
export async function serviceMain(service: string, usage: string, needs: Needs, start: (config: Config, logger: Logger) => Promise<void>): Promise<void> {
  const help = `${usage}\nOptions:\n${COMMON_OPTIONS_HELP}  --version           the version\n\n${EXIT_STATUS_HELP}`;
  await runMain(async () => {
    let values;
    try {
      ({ values } = parseArgs({ options: { ...COMMON_OPTIONS, version: { type: 'boolean' } }, strict: true, allowPositionals: false }));
      logOverrides(values);
    } catch (error) {
      process.stderr.write(`${service}: ${(error as Error).message}\n${help}`);
      return EXIT_USAGE;
    }
    if (values.help) return void process.stdout.write(help);
    if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
    const { config, warnings } = loadConfiguration(values, needs);
    const logger = serviceLogger(config, service);
    for (const warning of warnings) logger.warn(warning);
    await start(config, logger);
    return EXIT_OK;
  }, EXIT_FINDINGS, `${service}: `);
}
