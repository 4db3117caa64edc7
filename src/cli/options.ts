/**
 * The options every command takes, parsed one way: --config-file (alias
 * --config), -h/--help, --log-format and --debug, which override the file's
 * [DEFAULT] log_format and debug. Bad options are usage errors (exit 2) that
 * name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/types.js';
import { EXIT_OK, EXIT_USAGE, UsageError } from './exit.js';

export const COMMON_OPTIONS = {
  'config-file': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  'log-format': { type: 'string' },
  debug: { type: 'boolean' },
} as const;

/** The lines every --help ends its option list with. */
export const COMMON_OPTIONS_HELP = `  --config-file FILE  join.conf (default $NOVAJOIN_CONFIG_FILE, else /etc/novajoin/join.conf); --config too
  --log-format FMT    json, text or auto (overrides [DEFAULT] log_format)
  --debug             log at debug level (overrides [DEFAULT] debug)
  -h, --help          this text
`;

const LOG_FORMATS = ['auto', 'json', 'text'] as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type ValueOf<T> = T extends { multiple: true } ? (T extends { type: 'boolean' } ? boolean[] : string[]) : T extends { type: 'boolean' } ? boolean : string;
type Values<O extends Options> = {
  [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};
export type CommonValues = Values<typeof COMMON_OPTIONS>;

/**
 * A subcommand's options plus the common ones. Bad options print the error
 * and the usage on stderr (exit 2); --help prints the usage on stdout (exit
 * 0): `exit` is then set and the command returns it.
 */
export function commandArgs<const O extends Options>(command: string, argv: string[], options: O, usage: string): { values: Values<O> & CommonValues; exit?: undefined } | { exit: number } {
  let values: Values<O> & CommonValues;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, ...COMMON_OPTIONS }, strict: true, allowPositionals: false }) as unknown as { values: Values<O> & CommonValues });
    logOverrides(values);
  } catch (error) {
    process.stderr.write(`${command}: ${(error as Error).message}\n${usage}`);
    return { exit: EXIT_USAGE };
  }
  if (values.help) {
    process.stdout.write(usage);
    return { exit: EXIT_OK };
  }
  return { values };
}

/** The file named by --config-file (or --config), for loadConfiguration. */
export function configFileArg(values: { 'config-file'?: string | undefined; config?: string | undefined }): string | undefined {
  return values['config-file'] ?? values.config;
}

/** --log-format and --debug as a change to [DEFAULT]'s log settings; a bad value names the flag. */
export function logOverrides(values: { 'log-format'?: string | undefined; debug?: boolean | undefined }): Partial<Config['log']> {
  const format = values['log-format'];
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--log-format: "${format}" is not one of: ${LOG_FORMATS.join(', ')}`);
  }
  return {
    ...(format !== undefined ? { format: format as Config['log']['format'] } : {}),
    ...(values.debug !== undefined ? { debug: values.debug } : {}),
  };
}

export function withLogOverrides(config: Config, values: Parameters<typeof logOverrides>[0]): Config {
  const log = logOverrides(values);
  return Object.keys(log).length === 0 ? config : { ...config, log: { ...config.log, ...log } };
}
