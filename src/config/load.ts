import { readFileSync } from 'node:fs';
import { buildConfig } from './build.js';
import { crossCheck } from './cross-check.js';
import { KNOWN_SECTIONS, OPTIONS, PROJECT_OPTIONS, type OptionSpec } from './defaults.js';
import { ConfigError, formatProblem, type ConfigProblem, type Report } from './errors.js';
import { readIni, type IniValue } from './ini.js';
import { parseValue, type OptionValue } from './parse-value.js';
import { startupProblems, type Need } from './startup.js';
import type { Config, ProjectPolicy } from './types.js';

export type { Need } from './startup.js';
export const DEFAULT_CONFIG_FILE = '/etc/novajoin/join.conf';
export const CONFIG_FILE_ENV = 'NOVAJOIN_CONFIG_FILE';

export interface LoadedConfig {
  readonly config: Config;
  /** Unknown options and options kept only for compatibility, one formatted line each. */
  readonly warnings: readonly string[];
}

/** What a process needs beyond a well-formed file, checked at load so every problem is told at once. */
export type Needs = readonly Need[] | ((config: Config) => readonly Need[]);

/**
 * Which file to read: `--config-file`, else $NOVAJOIN_CONFIG_FILE, else
 * /etc/novajoin/join.conf. This is the only place the environment is read
 * for configuration.
 */
export function resolveConfigFile(cliValue: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return cliValue ?? env[CONFIG_FILE_ENV] ?? DEFAULT_CONFIG_FILE;
}

/** Reads and validates a file. A file that cannot be read is an error. */
export function loadConfigFile(file: string, needs: Needs = []): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(file, '-', null, `cannot read the configuration file (${code})`);
  }
  return loadConfigText(text, file, needs);
}

/**
 * Validates configuration text; `file` is only used in messages. Every
 * problem is collected (a bad value falls back to its default so the checks
 * after it still run), then all errors are thrown together.
 */
export function loadConfigText(text: string, file: string | null, needs: Needs = []): LoadedConfig {
  const where = file ?? '<built-in defaults>';
  const problems: ConfigProblem[] = [];
  const lines = new Map<string, number>();
  const lineOf = (section: string, option: string) => lines.get(key(section, option)) ?? null;
  const report = (severity: ConfigProblem['severity'], section: string, option: string | null, detail: string, line: number | null = null) =>
    problems.push({ severity, file: where, line: line ?? (option ? lineOf(section, option) : null), section, option, detail });

  const ini = readIni(text);
  for (const p of ini.problems) report('error', p.section ?? '-', p.option ?? null, p.message, p.line);
  const values = new Map<string, OptionValue>();
  const projects = new Map<string, ProjectPolicy>();

  for (const [section, entries] of ini.sections) {
    for (const [name, raw] of entries) lines.set(key(section, name), raw.line);
    if (!KNOWN_SECTIONS.has(section)) {
      projects.set(section, readProjectSection(section, entries, report));
      continue;
    }
    for (const [name, raw] of entries) {
      const spec = OPTIONS.find((s) => s.section === section && s.name === name);
      if (!spec) {
        report('warning', section, name, 'unknown option, ignored');
        continue;
      }
      if (spec.ignored) report('warning', section, name, spec.help);
      const value = checked(spec, raw, report);
      if (value !== undefined) values.set(key(section, name), value);
    }
  }
  const config = buildConfig(file, (section, name) => {
    const value = values.get(key(section, name));
    if (value !== undefined) return value;
    const spec = OPTIONS.find((s) => s.section === section && s.name === name);
    if (!spec) throw new Error(`no option [${section}] ${name} in the defaults table`);
    return spec.default;
  }, projects);
  crossCheck(config, report);
  for (const p of startupProblems(config, typeof needs === 'function' ? needs(config) : needs)) report('error', p.section, p.option, p.detail);

  // In file order, as an editor shows them; problems of defaults (no line) last.
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new ConfigError(errors);
  return { config: deepFreeze(config), warnings: problems.map(formatProblem) };
}

/** The configuration with nothing set: what `novajoin dev` starts from. */
export function defaultConfig(): Config {
  return loadConfigText('', null).config;
}

function readProjectSection(section: string, entries: Map<string, IniValue>, report: Report): ProjectPolicy {
  const policy = { allowedClasses: [] as readonly string[], allowedServices: [] as readonly string[], allowedServiceDomains: [] as readonly string[] };
  for (const [name, raw] of entries) {
    const spec = PROJECT_OPTIONS.find((s) => s.name === name);
    if (!spec) {
      report('warning', section, name, 'unknown option of a project section, ignored');
      continue;
    }
    const value = checked({ ...spec, section }, raw, report) as readonly string[] | undefined;
    if (value === undefined) continue;
    if (name === 'allowed_classes') policy.allowedClasses = value;
    else if (name === 'allowed_service_domains') policy.allowedServiceDomains = value.map((d) => d.toLowerCase().replace(/^\.|\.$/g, ''));
    else policy.allowedServices = value;
  }
  return policy;
}

function checked(spec: OptionSpec, raw: IniValue, report: Report): OptionValue | undefined {
  const result = parseValue(spec, raw.value);
  if ('error' in result) {
    report('error', spec.section, spec.name, result.error, raw.line);
    return undefined;
  }
  return result.value;
}

function key(section: string, name: string): string {
  return `${section}\u0000${name}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Map)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
