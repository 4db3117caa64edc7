/**
 * What every entry point shares: reading the version, loading the
 * configuration (printing its warnings), building the logger, and turning a
 * fatal error into one line and an exit status.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** Options every operator command takes. */
const COMMAND_OPTIONS = {
  'config-file': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type ValueOf<T> = T extends { multiple: true } ? (T extends { type: 'boolean' } ? boolean[] : string[]) : T extends { type: 'boolean' } ? boolean : string;
type Values<O extends Options> = {
  [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
} & { 'config-file'?: string | undefined; config?: string | undefined; help: boolean };

/**
 * A subcommand's options plus the common ones (--config-file, its alias
 * --config, --help). Bad options print the usage (exit 2), --help prints it
 * (exit 0): `exit` is then set and the command returns it.
 */
export function commandArgs<const O extends Options>(command: string, argv: string[], options: O, usage: string): { values: Values<O>; exit?: undefined } | { exit: number } {
  let values: Values<O>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, ...COMMAND_OPTIONS }, strict: true, allowPositionals: false }) as unknown as { values: Values<O> });
  } catch (error) {
    process.stderr.write(`novajoin ${command}: ${(error as Error).message}\n${usage}`);
    return { exit: 2 };
  }
  if (values.help) {
    process.stdout.write(usage);
    return { exit: 0 };
  }
  return { values };
}

/** The file named by --config-file (or --config), for loadConfiguration. */
export function configFileArg(values: { 'config-file'?: string | undefined; config?: string | undefined }): string | undefined {
  return values['config-file'] ?? values.config;
}
