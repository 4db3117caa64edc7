/**
 * The Config from the options' values: names normalised, defaults that
 * follow from other options filled in, seconds made milliseconds.
 */
import type { OptionValue } from './parse-value.js';
import type { Config, KeystoneCredentials, ProjectPolicy } from './types.js';

/** The value of an option: the file's, else the default. */
export type Get = (section: string, name: string) => OptionValue;

export function buildConfig(file: string | null, get: Get, projects: Map<string, ProjectPolicy>): Config {
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
