/**
 * What every entry point shares: reading the version, loading the
 * configuration (printing its warnings), building the logger, and turning a
 * fatal error into one line and an exit status.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile, resolveConfigFile, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';

export function packageVersion(): string {
  // src/cli and dist/cli are both two levels below the package root
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function loadConfiguration(cliFile: string | undefined): LoadedConfig {
  return loadConfigFile(resolveConfigFile(cliFile));
}

export function serviceLogger(config: Config, service: string): Logger {
  return createLogger({ debug: config.log.debug, format: config.log.format, service });
}

/** Runs `main`; a ConfigError or any other failure is one line on stderr and exit status `code`. */
export async function runMain(main: () => Promise<number | void>, code = 2): Promise<void> {
  try {
    const status = await main();
    if (typeof status === 'number') process.exitCode = status;
  } catch (error) {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = code;
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
 * The shared front of the two daemons: `--config-file`, `--help`,
 * `--version`, the configuration loaded and its warnings logged, then `start`.
 */
export async function serviceMain(service: string, usage: string, start: (config: Config, logger: Logger) => Promise<void>): Promise<void> {
  await runMain(async () => {
    const { values } = parseArgs({ options: { 'config-file': { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } } });
    if (values.help) return void process.stdout.write(usage);
    if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
    const { config, warnings } = loadConfiguration(values['config-file']);
    const logger = serviceLogger(config, service);
    for (const warning of warnings) logger.warn(warning);
    await start(config, logger);
    return 0;
  }, 1);
}
