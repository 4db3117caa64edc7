import { readFileSync } from 'node:fs';
import { KNOWN_SECTIONS, OPTIONS, OSLO_PRIORITIES, PROJECT_OPTIONS, type OptionSpec } from './defaults.js';
import { ConfigError, formatProblem, type ConfigProblem } from './errors.js';
import { readIni, type IniValue } from './ini.js';
import { parseValue, type OptionValue } from './parse-value.js';
import { startupProblems, type Need } from './startup.js';
import type { Config, KeystoneCredentials, ProjectPolicy } from './types.js';

export type { Need } from './startup.js';
export const DEFAULT_CONFIG_FILE = '/etc/novajoin/join.conf';
export const CONFIG_FILE_ENV = 'NOVAJOIN_CONFIG_FILE';
/** Nova's default [api] vendordata_dynamic_read_timeout, seconds: it gives up on a join after this. */
const NOVA_READ_TIMEOUT_S = 5;

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
  const config = build(file, (section, name) => {
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

type Report = (severity: ConfigProblem['severity'], section: string, option: string | null, detail: string, line?: number | null) => void;

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

type Get = (section: string, name: string) => OptionValue;

function build(file: string | null, get: Get, projects: Map<string, ProjectPolicy>): Config {
  const s = (section: string, name: string) => get(section, name) as string;
  const n = (section: string, name: string) => get(section, name) as number;
  const b = (section: string, name: string) => get(section, name) as boolean;
  const l = (section: string, name: string) => get(section, name) as readonly string[];
  const seconds = (section: string, name: string) => Math.round(n(section, name) * 1000);

  const domain = s('DEFAULT', 'domain').replace(/\.$/, '').toLowerCase();
  const servers = l('freeipa', 'server').map((name) => name.replace(/\.$/, '').toLowerCase());
  const server = servers[0] ?? '';
  const urlOption = s('freeipa', 'url').replace(/\/+$/, '');
  // A URL without {server} names one server (novajoin 1.x style).
  const urlTemplate = urlOption || 'https://{server}/ipa';
  const urlOf = (name: string) => urlTemplate.replaceAll('{server}', name);
  const ldapStarttls = b('ldap', 'starttls');
  const ldapUrls = l('ldap', 'url').length > 0
    ? l('ldap', 'url')
    : servers.map((name) => (ldapStarttls ? `ldap://${name}` : `ldaps://${name}`));
  const credentials = (section: string, fallback?: KeystoneCredentials): KeystoneCredentials => ({
    authUrl: s(section, 'auth_url') || fallback?.authUrl || '',
    username: s(section, 'username') || fallback?.username || '',
    password: s(section, 'password') || (s(section, 'username') ? '' : fallback?.password ?? ''),
    userDomainName: s(section, 'user_domain_name'),
    userDomainId: section === 'service_credentials' ? s(section, 'user_domain_id') : '',
    projectName: s(section, 'project_name'),
    projectDomainName: s(section, 'project_domain_name'),
    projectDomainId: section === 'service_credentials' ? s(section, 'project_domain_id') : '',
    cafile: s(section, 'cafile'),
    timeoutMs: seconds(section, 'timeout'),
  });
  const serviceCredentials = credentials('service_credentials');
  const topics = l('notifications', 'topics');

  return {
    file,
    server: {
      listen: s('DEFAULT', 'join_listen'),
      port: n('DEFAULT', 'join_listen_port'),
      authStrategy: s('DEFAULT', 'auth_strategy') as 'keystone' | 'noauth',
      policyFile: s('DEFAULT', 'policy_file'),
      joinTimeoutMs: seconds('DEFAULT', 'join_timeout'),
      joinCacheTtlMs: n('DEFAULT', 'join_cache_ttl') * 1000,
      maxBodySize: n('DEFAULT', 'max_body_size'),
      headerTimeoutMs: seconds('DEFAULT', 'header_timeout'),
      requestTimeoutMs: seconds('DEFAULT', 'request_timeout'),
      maxConnections: n('DEFAULT', 'max_connections'),
      readinessIntervalMs: seconds('DEFAULT', 'readiness_interval'),
    },
    naming: {
      domain,
      projectSubdomain: b('DEFAULT', 'project_subdomain'),
      normalizeProject: b('DEFAULT', 'normalize_project'),
      hostnameTemplate: s('DEFAULT', 'hostname_template'),
    },
    enrollment: {
      otpSecretFile: s('DEFAULT', 'otp_secret_file'),
      fixedIpDns: b('DEFAULT', 'fixed_ip_dns'),
      floatingIpDns: b('DEFAULT', 'floating_ip_dns'),
      staleOtpAgeMs: n('DEFAULT', 'stale_otp_age') * 1000,
    },
    log: {
      debug: b('DEFAULT', 'debug'),
      format: s('DEFAULT', 'log_format') as 'auto' | 'json' | 'text',
    },
    freeipa: {
      server,
      servers,
      url: urlOption && !urlOption.includes('{server}') ? urlOption : server ? urlOf(server) : '',
      urlTemplate,
      discover: b('freeipa', 'discover'),
      discoveryDomain: (s('freeipa', 'discovery_domain') || domain).replace(/\.$/, '').toLowerCase(),
      location: s('freeipa', 'location'),
      dnsServers: l('freeipa', 'dns_servers'),
      discoveryRefreshMs: seconds('freeipa', 'discovery_refresh'),
      serverBackoffMs: seconds('freeipa', 'server_backoff'),
      serverBackoffMaxMs: seconds('freeipa', 'server_backoff_max'),
      realm: s('freeipa', 'realm') || domain.toUpperCase(),
      caFile: s('freeipa', 'ca_file'),
      auth: s('freeipa', 'auth') as 'kerberos' | 'password',
      keytab: s('DEFAULT', 'keytab'),
      principal: s('freeipa', 'principal'),
      user: s('freeipa', 'user'),
      passwordFile: s('freeipa', 'password_file'),
      apiVersion: s('freeipa', 'api_version'),
      timeoutMs: seconds('freeipa', 'timeout'),
      retries: n('DEFAULT', 'connect_retries'),
      maxConcurrency: n('freeipa', 'max_concurrency'),
    },
    ldap: {
      inventory: s('DEFAULT', 'resync_inventory') as 'ldap' | 'api',
      url: ldapUrls[0] ?? '',
      urls: ldapUrls,
      starttls: ldapStarttls,
      auth: s('ldap', 'auth') as 'gssapi' | 'simple' | 'anonymous',
      bindDn: s('ldap', 'bind_dn'),
      bindPasswordFile: s('ldap', 'bind_password_file'),
      baseDn: s('ldap', 'base_dn') || domain.split('.').map((part) => `dc=${part}`).join(','),
      pageSize: n('ldap', 'page_size'),
      timeoutMs: seconds('ldap', 'timeout'),
    },
    notifications: {
      transportUrl: s('DEFAULT', 'transport_url'),
      tls: {
        enabled: b('oslo_messaging_rabbit', 'ssl'),
        caFile: s('oslo_messaging_rabbit', 'ssl_ca_file'),
        certFile: s('oslo_messaging_rabbit', 'ssl_cert_file'),
        keyFile: s('oslo_messaging_rabbit', 'ssl_key_file'),
      },
      exchanges: l('notifications', 'exchanges'),
      topics: topics.length > 0 ? topics : [s('DEFAULT', 'notifications_topic')],
      priorities: l('notifications', 'priorities').map((p) => p.toLowerCase()),
      exchangeDurable: b('notifications', 'exchange_durable'),
      queueType: s('notifications', 'queue_type') as 'classic' | 'quorum',
      retryQueuePrefix: s('notifications', 'retry_queue_prefix'),
      deadLetterQueue: s('notifications', 'dead_letter_queue'),
      prefetch: n('notifications', 'prefetch'),
      retryInitialMs: seconds('notifications', 'retry_initial'),
      retryMaxMs: seconds('notifications', 'retry_max'),
      drainTimeoutMs: seconds('notifications', 'drain_timeout'),
      healthFile: s('notifications', 'health_file'),
      metricsListen: s('notifications', 'metrics_listen'),
      metricsPort: n('notifications', 'metrics_port'),
      resyncIntervalMs: n('notifications', 'resync_interval') * 1000,
    },
    serviceCredentials: {
      ...serviceCredentials,
      regionName: s('service_credentials', 'region_name'),
      interface: s('service_credentials', 'interface') as 'public' | 'internal' | 'admin',
    },
    keystoneAuthtoken: {
      ...credentials('keystone_authtoken', serviceCredentials),
      wwwAuthenticateUri: s('keystone_authtoken', 'www_authenticate_uri'),
      tokenCacheTimeMs: n('keystone_authtoken', 'token_cache_time') * 1000,
      serviceType: s('keystone_authtoken', 'service_type'),
    },
    projects,
  };
}

/** Checks that involve more than one option, or a value in context. */
function crossCheck(config: Config, report: Report): void {
  if (config.server.headerTimeoutMs > config.server.requestTimeoutMs) {
    report('error', 'DEFAULT', 'request_timeout', `must be at least header_timeout (${config.server.headerTimeoutMs / 1000} s)`);
  }
  const ipa = config.freeipa;
  if (!/^https?:\/\//.test(ipa.urlTemplate)) {
    report('error', 'freeipa', 'url', `"${ipa.urlTemplate}" is not an http(s) URL`);
  }
  if (!ipa.urlTemplate.includes('{server}') && (ipa.servers.length > 1 || ipa.discover)) {
    report('error', 'freeipa', 'url', `"${ipa.urlTemplate}" names one server; with several servers or discover = true write {server} where each server's FQDN goes, e.g. https://{server}/ipa`);
  }
  for (const name of ipa.servers) {
    // localhost: the embedded FreeIPA of `novajoin dev` is reached by that name.
    if (name !== 'localhost' && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(name)) {
      report('error', 'freeipa', 'server', `"${name}" is not a fully qualified host name (FreeIPA's canonical name, without a port: put a port in [freeipa] url)`);
    }
  }
  for (const dnsServer of ipa.dnsServers) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-f:]+\](:\d{1,5})?|[0-9a-f:]+)$/i.test(dnsServer)) {
      report('error', 'freeipa', 'dns_servers', `"${dnsServer}" is not an IP address or ip:port`);
    }
  }
  if (ipa.discover && ipa.location && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(ipa.location)) {
    report('error', 'freeipa', 'location', `"${ipa.location}" is not a FreeIPA location name (one DNS label)`);
  }
  for (const url of config.ldap.urls) {
    if (!/^ldaps?:\/\//.test(url)) report('error', 'ldap', 'url', `"${url}" must start with ldap:// or ldaps://`);
  }
  if (!/^(rabbit|amqps?):\/\//.test(config.notifications.transportUrl)) {
    report('error', 'DEFAULT', 'transport_url', 'must start with rabbit://, amqp:// or amqps://');
  }
  const unknownPriority = config.notifications.priorities.find((p) => !(OSLO_PRIORITIES as readonly string[]).includes(p));
  if (unknownPriority !== undefined || config.notifications.priorities.length === 0) {
    report('error', 'notifications', 'priorities', `${unknownPriority ? `"${unknownPriority}" is not` : 'needs at least one of'} oslo.messaging's priorities (${OSLO_PRIORITIES.join(', ')})`);
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(config.naming.domain)) {
    report('error', 'DEFAULT', 'domain', `"${config.naming.domain}" is not a DNS domain name`);
  }
  if (config.naming.hostnameTemplate && !config.naming.hostnameTemplate.includes('{hostname}')) {
    report('error', 'DEFAULT', 'hostname_template', 'must contain {hostname}');
  }
  const unknownField = /\{(?!hostname\}|project\}|project_id\}|domain\})[^}]*\}/.exec(config.naming.hostnameTemplate);
  if (unknownField) {
    report('error', 'DEFAULT', 'hostname_template', `unknown field ${unknownField[0]}; accepted: {hostname} {project} {project_id} {domain}`);
  }
  if (!/^2\.\d+$/.test(config.freeipa.apiVersion)) {
    report('error', 'freeipa', 'api_version', `"${config.freeipa.apiVersion}" is not a FreeIPA API version such as 2.230`);
  }
  if (config.server.joinTimeoutMs > NOVA_READ_TIMEOUT_S * 1000) {
    report(
      'warning',
      'DEFAULT',
      'join_timeout',
      `${config.server.joinTimeoutMs / 1000} s is longer than Nova waits by default (${NOVA_READ_TIMEOUT_S} s, nova.conf [api] vendordata_dynamic_read_timeout): raise that too, or a slow join is abandoned by Nova while it still runs here`,
    );
  }
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
