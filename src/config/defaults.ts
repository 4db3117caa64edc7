/**
 * The one table of configuration options. The loader, the validator, the
 * generated `config/join.conf.sample` and the puppet module's parameters all
 * come from here, so an option exists in exactly one place.
 *
 * Option and section names of the Python novajoin 1.1 are kept as they were
 * (an operator's join.conf keeps working); new options live in new sections.
 * Any section that is not listed here is a per-project section (novajoin's
 * `[<project name>] allowed_classes`), described by `PROJECT_OPTIONS`.
 */

export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'list' | 'port' | 'enum' | 'secret';

export interface OptionSpec {
  readonly section: string;
  readonly name: string;
  readonly type: OptionType;
  /** The value used when the file does not set the option, already typed. */
  readonly default: string | number | boolean | readonly string[];
  readonly help: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Accepted so that a novajoin 1.1 file loads, but it has no effect here. */
  readonly ignored?: boolean;
}

const o = (spec: OptionSpec): OptionSpec => spec;

/** oslo.messaging's notification priorities (notify/dispatcher.py PRIORITIES): the queues its notifier may declare are `<topic>.<priority>`. */
export const OSLO_PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // ---- [DEFAULT]: the Python novajoin's options, same names and meanings.
  o({ section: 'DEFAULT', name: 'join_listen', type: 'string', default: '0.0.0.0', help: 'IP address novajoin-server listens on.' }),
  o({ section: 'DEFAULT', name: 'join_listen_port', type: 'port', default: 9090, help: 'TCP port novajoin-server listens on (Nova target: join@http://<host>:9090/v1/).' }),
  o({ section: 'DEFAULT', name: 'auth_strategy', type: 'enum', default: 'keystone', choices: ['keystone', 'noauth'], help: 'How callers are authenticated. noauth is for `novajoin dev` only and is refused on a non-loopback address.' }),
  o({ section: 'DEFAULT', name: 'keytab', type: 'string', default: '/etc/novajoin/krb5.keytab', help: 'Keytab of the nova/<fqdn> principal used to log in to FreeIPA.' }),
  o({ section: 'DEFAULT', name: 'domain', type: 'string', default: 'test', help: 'DNS domain of enrolled hosts.' }),
  o({ section: 'DEFAULT', name: 'project_subdomain', type: 'bool', default: false, help: 'Make the FQDN <hostname>.<project>.<domain>.' }),
  o({ section: 'DEFAULT', name: 'normalize_project', type: 'bool', default: true, help: 'Turn the project name into a valid DNS label when it is used in a name.' }),
  o({ section: 'DEFAULT', name: 'hostname_template', type: 'string', default: '', help: 'FQDN template, overriding project_subdomain. Fields: {hostname} {project} {project_id} {domain}. Example: {hostname}.{project}.{domain}' }),
  o({ section: 'DEFAULT', name: 'connect_retries', type: 'int', default: 2, min: 0, max: 10, help: 'Retries of a FreeIPA call that failed on the network or with a 5xx, within the call deadline.' }),
  o({ section: 'DEFAULT', name: 'notifications_topic', type: 'string', default: 'novajoin_notifications', help: 'Notification topic Nova and Neutron publish to for novajoin (add it to their topics).' }),
  o({ section: 'DEFAULT', name: 'transport_url', type: 'secret', default: 'rabbit://guest:guest@localhost:5672/', help: 'RabbitMQ URL, oslo.messaging form: rabbit://user:password@host:port/vhost (amqp:// and amqps:// also accepted).' }),
  o({ section: 'DEFAULT', name: 'policy_file', type: 'string', default: '/etc/novajoin/policy.yaml', help: 'oslo.policy rules (YAML or JSON) overriding the built-in defaults. A missing file means the defaults.' }),
  o({ section: 'DEFAULT', name: 'debug', type: 'bool', default: false, help: 'Log at debug level.' }),
  o({ section: 'DEFAULT', name: 'log_format', type: 'enum', default: 'auto', choices: ['auto', 'json', 'text'], help: 'JSON lines, text, or auto (text on a terminal, JSON otherwise).' }),
  o({ section: 'DEFAULT', name: 'api_paste_config', type: 'string', default: '', ignored: true, help: 'Accepted for compatibility with novajoin 1.1; there is no paste pipeline.' }),
  o({ section: 'DEFAULT', name: 'log_dir', type: 'string', default: '', ignored: true, help: 'Accepted for compatibility; logs go to standard output (the journal under systemd).' }),
  o({ section: 'DEFAULT', name: 'verbose', type: 'bool', default: false, ignored: true, help: 'Accepted for compatibility; use debug.' }),
  o({ section: 'DEFAULT', name: 'cacert', type: 'string', default: '', ignored: true, help: 'Accepted for compatibility; use [freeipa] ca_file.' }),

  // ---- [DEFAULT]: new behaviour (design section 4).
  o({ section: 'DEFAULT', name: 'otp_secret_file', type: 'string', default: '/etc/novajoin/otp.key', help: 'File holding the secret every replica derives OTPs from, so that every replica and every restart hands out the same OTP for the same instance. At least 32 bytes; same file on every replica; readable by novajoin only (root:novajoin, mode 0440).' }),
  o({ section: 'DEFAULT', name: 'join_timeout', type: 'float', default: 4.5, min: 0.5, max: 60, help: 'Seconds a join may take in all; keep it under Nova [api] vendordata_dynamic_read_timeout (5).' }),
  o({ section: 'DEFAULT', name: 'join_cache_ttl', type: 'int', default: 30, min: 0, max: 300, help: 'Seconds a novajoin-server answers a repeat join (same instance, project, host name, image and metadata) from memory with the OTP it handed out, without asking FreeIPA. After a rebuild a guest may be handed the old OTP for what is left of this time (see the README, Boot storms). 0: ask FreeIPA every time.' }),
  o({ section: 'DEFAULT', name: 'max_body_size', type: 'int', default: 262144, min: 1024, help: 'Largest request body accepted, bytes (user-data alone may be 64 KiB of base64).' }),
  o({ section: 'DEFAULT', name: 'header_timeout', type: 'float', default: 5, min: 0.5, max: 300, help: 'Seconds a client may take to send a request\'s headers before its connection is closed (a slow client holds a connection, never the service).' }),
  o({ section: 'DEFAULT', name: 'request_timeout', type: 'float', default: 10, min: 0.5, max: 600, help: 'Seconds a client may take to send a whole request, body included; at least header_timeout.' }),
  o({ section: 'DEFAULT', name: 'max_connections', type: 'int', default: 1024, min: 1, max: 1000000, help: 'Client connections novajoin-server holds open at once; further connections are closed on arrival.' }),
  o({ section: 'DEFAULT', name: 'readiness_interval', type: 'float', default: 5, min: 0, max: 300, help: 'Seconds one /readyz result (a FreeIPA ping and a Keystone call) is reused for every caller; 0 recomputes it for each call.' }),
  o({ section: 'DEFAULT', name: 'fixed_ip_dns', type: 'bool', default: false, help: 'Add A/PTR records for fixed IPs when an instance is created.' }),
  o({ section: 'DEFAULT', name: 'floating_ip_dns', type: 'bool', default: true, help: 'Add and remove A records when floating IPs are associated.' }),
  o({ section: 'DEFAULT', name: 'stale_otp_age', type: 'int', default: 86400, min: 60, help: 'Seconds after which resync reports a host that was handed an OTP and never enrolled.' }),

  // ---- [freeipa]: how FreeIPA is reached (novajoin 1.1 read /etc/ipa/default.conf).
  o({ section: 'freeipa', name: 'server', type: 'list', default: [], help: 'FQDN of the FreeIPA server, or of several (replicas) in order of preference: calls go to the first one that is up. Each is its canonical name (FreeIPA redirects any other Host). With discover = true, used only when DNS has no record at start.' }),
  o({ section: 'freeipa', name: 'url', type: 'string', default: '', help: 'Base URL; {server} stands for each server\'s FQDN. Default https://{server}/ipa. A URL without {server} names the one server.' }),
  o({ section: 'freeipa', name: 'discover', type: 'bool', default: false, help: 'Find the FreeIPA servers in DNS, as FreeIPA\'s own clients do: SRV records _ldap._tcp.<discovery_domain> (of the location first, when location is set), lowest priority first, by weight within a priority. Looked up again every discovery_refresh seconds.' }),
  o({ section: 'freeipa', name: 'discovery_domain', type: 'string', default: '', help: 'DNS domain of the FreeIPA servers\' SRV records; default [DEFAULT] domain.' }),
  o({ section: 'freeipa', name: 'location', type: 'string', default: '', help: 'FreeIPA location (ipa location-find) whose servers come first: _ldap._tcp.<location>._locations.<discovery_domain>.' }),
  o({ section: 'freeipa', name: 'dns_servers', type: 'list', default: [], help: 'DNS servers (ip or ip:port) asked for the SRV records and for the FreeIPA servers\' addresses; empty means the system resolver.' }),
  o({ section: 'freeipa', name: 'discovery_refresh', type: 'float', default: 300, min: 5, max: 86400, help: 'Longest time, in seconds, between two lookups of the SRV records. They are looked up again when their DNS TTL runs out, but at least 30 s and at most this apart (this when the TTL cannot be read); a failed lookup keeps the last list.' }),
  o({ section: 'freeipa', name: 'server_backoff', type: 'float', default: 2, min: 0.1, max: 3600, help: 'Seconds a FreeIPA server that failed (no connection, HTTP 5xx) is left out; doubled at each new failure.' }),
  o({ section: 'freeipa', name: 'server_backoff_max', type: 'float', default: 60, min: 0.1, max: 86400, help: 'Longest time a failing FreeIPA server is left out before it is tried again.' }),
  o({ section: 'freeipa', name: 'realm', type: 'string', default: '', help: 'Kerberos realm, default the upper-cased domain.' }),
  o({ section: 'freeipa', name: 'ca_file', type: 'string', default: '/etc/ipa/ca.crt', help: 'CA certificate(s) FreeIPA\'s TLS certificate is verified against.' }),
  o({ section: 'freeipa', name: 'auth', type: 'enum', default: 'kerberos', choices: ['kerberos', 'password'], help: 'kerberos: SPNEGO with the keytab; password: login_password with user and password_file.' }),
  o({ section: 'freeipa', name: 'principal', type: 'string', default: '', help: 'Client principal in the keytab, default its first entry.' }),
  o({ section: 'freeipa', name: 'user', type: 'string', default: 'admin', help: 'User for auth = password.' }),
  o({ section: 'freeipa', name: 'password_file', type: 'string', default: '', help: 'File holding the password for auth = password.' }),
  o({ section: 'freeipa', name: 'api_version', type: 'string', default: '2.230', help: 'FreeIPA API version sent with every command (2.230 is FreeIPA 4.6.5; any 2.x server accepts it).' }),
  o({ section: 'freeipa', name: 'timeout', type: 'float', default: 10, min: 0.1, max: 300, help: 'Seconds one FreeIPA call may take outside the join path (the join path uses what is left of join_timeout).' }),
  o({ section: 'freeipa', name: 'max_concurrency', type: 'int', default: 32, min: 1, max: 512, help: 'FreeIPA calls in flight at once from one process.' }),

  // ---- [ldap]: inventory reads for resync.
  o({ section: 'DEFAULT', name: 'resync_inventory', type: 'enum', default: 'ldap', choices: ['ldap', 'api'], help: 'Where resync reads FreeIPA\'s hosts and services. ldap: paged LDAP searches ([ldap] section), for a deployment of any size; api: one host_find and one service_find through FreeIPA\'s JSON-RPC API, for when no LDAP is reachable (novajoin dev); FreeIPA\'s search size limit (2,000 entries by default) applies, and resync stops rather than act on a cut list.' }),
  o({ section: 'ldap', name: 'url', type: 'list', default: [], help: 'LDAP URL of FreeIPA, or several tried in order. Default ldaps://<server> for each [freeipa] server (ldap://<server> with starttls); with discover = true, each server the SRV records name.' }),
  o({ section: 'ldap', name: 'starttls', type: 'bool', default: false, help: 'Use StartTLS on an ldap:// URL.' }),
  o({ section: 'ldap', name: 'auth', type: 'enum', default: 'gssapi', choices: ['gssapi', 'simple', 'anonymous'], help: 'How resync binds to FreeIPA\'s LDAP. gssapi: SASL GSSAPI with [DEFAULT] keytab as [freeipa] principal (needs ldaps:// or starttls, and the server\'s host name in the URL); simple: bind_dn with bind_password_file (a system account, ipa sysaccount-add from FreeIPA 4.13); anonymous: FreeIPA shows anonymous binds no hosts or services, so resync would see none.' }),
  o({ section: 'ldap', name: 'bind_dn', type: 'string', default: '', help: 'DN to bind as with auth = simple (a system account).' }),
  o({ section: 'ldap', name: 'bind_password_file', type: 'string', default: '', help: 'File holding the bind password for auth = simple.' }),
  o({ section: 'ldap', name: 'base_dn', type: 'string', default: '', help: 'Suffix, default derived from the domain (dc=example,dc=com).' }),
  o({ section: 'ldap', name: 'page_size', type: 'int', default: 500, min: 1, max: 10000, help: 'Entries per page of the paged search.' }),
  o({ section: 'ldap', name: 'timeout', type: 'float', default: 30, min: 0.1, help: 'Seconds for an LDAP connect and for one operation.' }),

  // ---- [notifications]: novajoin-notify.
  o({ section: 'oslo_messaging_rabbit', name: 'ssl', type: 'bool', default: false, help: 'Connect to RabbitMQ over TLS (as oslo.messaging\'s option of the same name); amqps:// or ?ssl=1 in transport_url does the same for one URL.' }),
  o({ section: 'oslo_messaging_rabbit', name: 'ssl_ca_file', type: 'string', default: '', help: 'CA certificate(s) the broker\'s certificate is verified against; empty: the system CAs.' }),
  o({ section: 'oslo_messaging_rabbit', name: 'ssl_cert_file', type: 'string', default: '', help: 'Client certificate presented to the broker (with ssl_key_file), for brokers that require one.' }),
  o({ section: 'oslo_messaging_rabbit', name: 'ssl_key_file', type: 'string', default: '', help: 'Private key of ssl_cert_file.' }),
  o({ section: 'notifications', name: 'queue', type: 'string', default: '', ignored: true, help: 'No effect: the listener reads the queues oslo.messaging declares for each topic, <topic>.<priority> (a queue of our own would leave those filling up).' }),
  o({ section: 'notifications', name: 'exchanges', type: 'list', default: ['nova', 'neutron'], help: 'Exchanges the <topic>.<priority> queues are bound on: Nova\'s and Neutron\'s control_exchange.' }),
  o({ section: 'notifications', name: 'topics', type: 'list', default: [], help: 'Topics read, from the queues oslo.messaging declares for them, <topic>.<priority>; empty means [DEFAULT] notifications_topic.' }),
  o({ section: 'notifications', name: 'priorities', type: 'list', default: ['info', 'error'], help: 'Notification priorities read (oslo.messaging\'s audit, debug, info, warn, error, critical, sample); Nova and Neutron send info and error.' }),
  o({ section: 'notifications', name: 'exchange_durable', type: 'bool', default: false, help: 'Set as [oslo_messaging_rabbit] amqp_durable_queues in nova.conf and neutron.conf: the exchanges and <topic>.<priority> queues are then durable, as oslo.messaging declares them (always with queue_type = quorum).' }),
  o({ section: 'notifications', name: 'queue_type', type: 'enum', default: 'classic', choices: ['classic', 'quorum'], help: 'quorum when nova.conf and neutron.conf have [oslo_messaging_rabbit] rabbit_quorum_queue = true, classic otherwise. Also the type of the listener\'s own retry and dead-letter queues (RabbitMQ 3.10+ for quorum).' }),
  o({ section: 'notifications', name: 'retry_queue_prefix', type: 'string', default: 'novajoin', help: 'Name prefix of the listener\'s delay queues, <prefix>.retry.<ms>.' }),
  o({ section: 'notifications', name: 'dead_letter_queue', type: 'string', default: 'novajoin.dead', help: 'Where messages that can never be applied go, with the reason in a header.' }),
  o({ section: 'notifications', name: 'prefetch', type: 'int', default: 32, min: 1, max: 1000, help: 'Unacknowledged messages in flight per listener.' }),
  o({ section: 'notifications', name: 'retry_initial', type: 'float', default: 1, min: 0.01, help: 'Seconds before the first retry of a transient failure.' }),
  o({ section: 'notifications', name: 'retry_max', type: 'float', default: 300, min: 0.1, help: 'Longest wait between retries.' }),
  o({ section: 'notifications', name: 'drain_timeout', type: 'float', default: 30, min: 0, help: 'Seconds SIGTERM waits for work in flight before requeueing it.' }),
  o({ section: 'notifications', name: 'health_file', type: 'string', default: '/run/novajoin/notify.health', help: 'File rewritten with the listener state on every change; empty to disable.' }),
  o({ section: 'notifications', name: 'metrics_listen', type: 'string', default: '127.0.0.1', help: 'Address of the listener\'s /healthz and /metrics.' }),
  o({ section: 'notifications', name: 'metrics_port', type: 'int', default: 9091, min: 0, max: 65535, help: 'Port of the listener\'s /healthz and /metrics; 0 disables.' }),
  o({ section: 'notifications', name: 'resync_interval', type: 'int', default: 0, min: 0, help: 'Seconds between periodic resyncs inside novajoin-notify; 0 turns it off.' }),

  // ---- [service_credentials]: our own identity for Keystone, Nova, Glance, Neutron (as in novajoin).
  o({ section: 'service_credentials', name: 'auth_url', type: 'string', default: '', help: 'Keystone URL, e.g. http://keystone:5000/v3.' }),
  o({ section: 'service_credentials', name: 'auth_type', type: 'enum', default: 'password', choices: ['password'], help: 'keystoneauth plugin; only password.' }),
  o({ section: 'service_credentials', name: 'username', type: 'string', default: 'nova', help: 'Service user.' }),
  o({ section: 'service_credentials', name: 'password', type: 'secret', default: '', help: 'Service user password.' }),
  o({ section: 'service_credentials', name: 'user_domain_name', type: 'string', default: 'Default', help: 'Domain of the user.' }),
  o({ section: 'service_credentials', name: 'user_domain_id', type: 'string', default: '', help: 'Domain id of the user (wins over the name).' }),
  o({ section: 'service_credentials', name: 'project_name', type: 'string', default: 'service', help: 'Project the token is scoped to.' }),
  o({ section: 'service_credentials', name: 'tenant_name', type: 'string', default: '', ignored: true, help: 'Accepted for compatibility; use project_name.' }),
  o({ section: 'service_credentials', name: 'project_domain_name', type: 'string', default: 'Default', help: 'Domain of the project.' }),
  o({ section: 'service_credentials', name: 'project_domain_id', type: 'string', default: '', help: 'Domain id of the project (wins over the name).' }),
  o({ section: 'service_credentials', name: 'region_name', type: 'string', default: '', help: 'Region of the catalog endpoints.' }),
  o({ section: 'service_credentials', name: 'interface', type: 'enum', default: 'internal', choices: ['public', 'internal', 'admin'], help: 'Catalog interface used for Nova, Glance and Neutron.' }),
  o({ section: 'service_credentials', name: 'cafile', type: 'string', default: '', help: 'CA bundle for the OpenStack APIs; empty means the system store.' }),
  o({ section: 'service_credentials', name: 'timeout', type: 'float', default: 10, min: 0.1, help: 'Seconds for one OpenStack API call.' }),

  // ---- [keystone_authtoken]: validating Nova's X-Auth-Token (keystonemiddleware names).
  o({ section: 'keystone_authtoken', name: 'www_authenticate_uri', type: 'string', default: '', help: 'Public Keystone URL named in WWW-Authenticate on a 401.' }),
  o({ section: 'keystone_authtoken', name: 'auth_uri', type: 'string', default: '', ignored: true, help: 'Accepted for compatibility; use www_authenticate_uri.' }),
  o({ section: 'keystone_authtoken', name: 'auth_url', type: 'string', default: '', help: 'Keystone URL tokens are validated against; empty means [service_credentials] auth_url.' }),
  o({ section: 'keystone_authtoken', name: 'auth_type', type: 'enum', default: 'password', choices: ['password'], help: 'keystoneauth plugin; only password.' }),
  o({ section: 'keystone_authtoken', name: 'username', type: 'string', default: '', help: 'Validating user; empty means [service_credentials].' }),
  o({ section: 'keystone_authtoken', name: 'password', type: 'secret', default: '', help: 'Validating user password.' }),
  o({ section: 'keystone_authtoken', name: 'user_domain_name', type: 'string', default: 'Default', help: 'Domain of the user.' }),
  o({ section: 'keystone_authtoken', name: 'project_name', type: 'string', default: 'service', help: 'Project of the validating user.' }),
  o({ section: 'keystone_authtoken', name: 'project_domain_name', type: 'string', default: 'Default', help: 'Domain of the project.' }),
  o({ section: 'keystone_authtoken', name: 'token_cache_time', type: 'int', default: 300, min: -1, help: 'Seconds a validated token is cached (never past its expiry); -1 disables the cache.' }),
  o({ section: 'keystone_authtoken', name: 'cafile', type: 'string', default: '', help: 'CA bundle for Keystone; empty means the system store.' }),
  o({ section: 'keystone_authtoken', name: 'timeout', type: 'float', default: 3, min: 0.1, help: 'Seconds for one validation call.' }),
  o({ section: 'keystone_authtoken', name: 'service_type', type: 'string', default: '', help: 'Service type of novajoin in the Keystone catalog, matched against the access rules of application credentials (keystonemiddleware\'s option). Empty refuses every token restricted by access rules.' }),
  o({ section: 'keystone_authtoken', name: 'memcached_servers', type: 'list', default: [], ignored: true, help: 'Accepted for compatibility; the cache is in-process.' }),
];

/** Options of a per-project section, `[<project name>]`. */
export const PROJECT_OPTIONS: readonly OptionSpec[] = [
  o({ section: '<project>', name: 'allowed_classes', type: 'list', default: [], help: 'ipa_hostclass values this project may ask for (novajoin 1.1).' }),
  o({ section: '<project>', name: 'allowed_services', type: 'list', default: [], help: 'Service names (HTTP, haproxy, ...) this project may have principals created for through managed_service_* and compact_service_* metadata; * for any. None by default: tenants cannot have principals created until their project is listed here.' }),
  o({ section: '<project>', name: 'allowed_service_domains', type: 'list', default: [], help: 'DNS suffixes (e.g. vip.example.test) that the hosts of this project\'s service principals must be equal to or under. Empty: anywhere in [DEFAULT] domain and, when names carry the project, in the project\'s own names. The instance\'s own host is always allowed.' }),
];

/** Sections this table owns; every other section names a project. */
export const KNOWN_SECTIONS: ReadonlySet<string> = new Set(OPTIONS.map((s) => s.section));
