/**
 * Inventory reads straight from FreeIPA's LDAP for resync (design 5, B6): the
 * hosts this service created (their description carries the binding, B2) and
 * the services they manage, with simple paged results so that tens of
 * thousands of hosts never sit in one response. Read-only, one connection,
 * reused until close().
 *
 * Filters are ldapts filter objects, encoded to BER as they are: a value is
 * never parsed as filter syntax, so an fqdn like `*)(objectClass=*` matches
 * only a host literally named that. TLS (LDAPS or StartTLS) is verified
 * against the configured CA file. Every network step has a deadline. How a
 * connection is opened and bound is ldap-connect.ts.
 */
import type { LookupFunction } from 'node:net';
import { AndFilter, type Client, EqualityFilter, type Filter, OrFilter, SubstringFilter, type Entry } from 'ldapts';
import { BINDING_PREFIX } from '../domain/binding.js';
import { privateCcache } from './gss.js';
import { checkInventoryOptions, openConnection } from './ldap-connect.js';
import { classify, LdapInventoryError, LdapUnavailableError, withDeadline } from './ldap-errors.js';

export { LdapAuthError, LdapInventoryError, LdapTlsError, LdapUnavailableError } from './ldap-errors.js';

export interface InventoryOptions {
  /** ldap://host[:port] or ldaps://host[:port]. */
  url: string;
  /**
   * Every server to try, in order, when one cannot be reached (FreeIPA's
   * replicas hold the same entries): a list, or a function that finds it
   * (DNS SRV). Default: `url` alone.
   */
  urls?: readonly string[] | (() => Promise<readonly string[]>);
  /** PEM trust anchors for LDAPS/StartTLS; the system store when absent. */
  caFile?: string;
  /** Upgrade an ldap:// connection with StartTLS before binding. */
  starttls?: boolean;
  /** Simple bind as this DN (a system account); anonymous when absent and without gssapi. */
  bindDn?: string;
  bindPassword?: string;
  /** SASL GSSAPI bind with this keytab (FreeIPA's service principals), as ldap@<host of the URL>. TLS only. */
  gssapi?: { keytab: string; principal?: string | undefined };
  /** Name resolution for the LDAP servers (tests); the system's when absent. */
  lookup?: LookupFunction;
  /** The directory suffix, e.g. dc=example,dc=com. */
  baseDn: string;
  pageSize: number;
  /** Deadline for connecting and for each LDAP operation (each page of a search). */
  timeoutMs: number;
}

export interface HostRecord {
  dn: string;
  fqdn: string;
  description: string[];
  userClass: string[];
  nsHostLocation: string | null;
  krbPrincipalName: string[];
  /** Generalized time; present once the host has enrolled (has a keytab). */
  krbLastPwdChange: string | null;
  managedBy: string[];
}

export interface ServiceRecord {
  dn: string;
  principal: string;
  /** DNs of the hosts that manage the service. */
  managedBy: string[];
}

/** The binding marker (src/domain/binding.ts) every host this service created carries. */
export const DEFAULT_DESCRIPTION_PREFIX = BINDING_PREFIX;

const HOST_ATTRIBUTES = ['fqdn', 'description', 'userClass', 'nsHostLocation', 'krbPrincipalName', 'krbLastPwdChange', 'managedBy'];
const SERVICE_ATTRIBUTES = ['krbPrincipalName', 'krbCanonicalName', 'managedBy'];
/** How many managedBy DNs go into one (|(managedBy=...)...) filter. */
const MANAGED_BY_CHUNK = 100;

/** Attribute values by lower-cased name: servers may echo names in any case. */
function values(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key.toLowerCase() !== wanted || key === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
  }
  return [];
}

const first = (entry: Entry, name: string): string | null => values(entry, name)[0] ?? null;

/**
 * The server's substring match also takes a longer first word ('novajoin:v10 ...')
 * and ignores case; a marker is the exact prefix followed by a blank or nothing,
 * as parseBinding (src/domain/binding.ts) reads it.
 */
export function hasMarker(description: string, prefix: string): boolean {
  if (!description.startsWith(prefix)) return false;
  const rest = description.slice(prefix.length);
  return rest === '' || /^\s/.test(rest) || /\s$/.test(prefix);
}

export class LdapInventory {
  private readonly options: InventoryOptions;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private pages = 0;
  private readonly ccache: string;
  private entries = 0;
  /** The server of the open connection, for messages. */
  private current: string;

  constructor(options: InventoryOptions) {
    checkInventoryOptions(options);
    this.options = { ...options };
    this.current = options.url;
    this.ccache = privateCcache();
  }

  /** The DN the server says this connection is bound as (LDAP Who am I?, RFC 4532); '' when anonymous. */
  async whoami(): Promise<string> {
    const client = await this.connection();
    const what = `LDAP whoami on ${this.current}`;
    try {
      const { value } = await client.exop('1.3.6.1.4.1.4203.1.11.3');
      const id = typeof value === 'string' ? value : value ? Buffer.from(value).toString('utf8') : '';
      return id.replace(/^dn:\s*/i, '');
    } catch (err) {
      this.drop(client);
      throw classify(err, what, this.options.caFile);
    }
  }

  /** Pages and entries received so far (for resync statistics). */
  get stats(): { pages: number; entries: number } {
    return { pages: this.pages, entries: this.entries };
  }

  /**
   * The hosts whose description starts with the binding prefix (those this
   * service created), optionally only the one with this fqdn.
   */
  async *hosts(opts: { descriptionPrefix?: string; fqdn?: string } = {}): AsyncIterable<HostRecord> {
    const prefix = opts.descriptionPrefix ?? DEFAULT_DESCRIPTION_PREFIX;
    if (!prefix) throw new LdapInventoryError('descriptionPrefix may not be empty');
    const filters: Filter[] = [
      new EqualityFilter({ attribute: 'objectClass', value: 'ipaHost' }),
      new SubstringFilter({ attribute: 'description', initial: prefix }),
    ];
    if (opts.fqdn !== undefined) filters.push(new EqualityFilter({ attribute: 'fqdn', value: opts.fqdn }));
    const base = `cn=computers,cn=accounts,${this.options.baseDn}`;
    for await (const entry of this.search(base, new AndFilter({ filters }), HOST_ATTRIBUTES)) {
      const fqdn = first(entry, 'fqdn');
      if (!fqdn) continue; // ipaHost requires fqdn; an entry without is not a host we can act on
      const description = values(entry, 'description');
      if (!description.some((d) => hasMarker(d, prefix))) continue;
      yield {
        dn: entry.dn,
        fqdn,
        description,
        userClass: values(entry, 'userClass'),
        nsHostLocation: first(entry, 'nsHostLocation'),
        krbPrincipalName: values(entry, 'krbPrincipalName'),
        krbLastPwdChange: first(entry, 'krbLastPwdChange'),
        managedBy: values(entry, 'managedBy'),
      };
    }
  }

  /** Services, optionally only those managed by one of these host DNs. */
  async *services(opts: { managedByDns?: string[] } = {}): AsyncIterable<ServiceRecord> {
    const base = `cn=services,cn=accounts,${this.options.baseDn}`;
    const isService = new EqualityFilter({ attribute: 'objectClass', value: 'ipaService' });
    const filters: Filter[] = [];
    if (opts.managedByDns === undefined) {
      filters.push(isService);
    } else {
      // Several hosts can manage one service: chunk the DN list, drop repeats.
      const dns = [...new Set(opts.managedByDns)];
      for (let i = 0; i < dns.length; i += MANAGED_BY_CHUNK) {
        const any = dns.slice(i, i + MANAGED_BY_CHUNK).map((dn) => new EqualityFilter({ attribute: 'managedBy', value: dn }));
        filters.push(new AndFilter({ filters: [isService, any.length === 1 ? any[0]! : new OrFilter({ filters: any })] }));
      }
    }
    const seen = new Set<string>();
    for (const filter of filters) {
      for await (const entry of this.search(base, filter, SERVICE_ATTRIBUTES)) {
        if (filters.length > 1) {
          const key = entry.dn.toLowerCase();
          if (seen.has(key)) continue;
          seen.add(key);
        }
        const principal = first(entry, 'krbCanonicalName') ?? first(entry, 'krbPrincipalName');
        if (!principal) continue;
        yield { dn: entry.dn, principal, managedBy: values(entry, 'managedBy') };
      }
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    if (!client) return;
    await withDeadline(client.unbind(), this.options.timeoutMs, 'LDAP unbind', () => {}).catch(() => {});
  }

  private async *search(base: string, filter: Filter, attributes: string[]): AsyncGenerator<Entry> {
    const client = await this.connection();
    const what = `LDAP search of ${base} on ${this.current}`;
    const pages = client.searchPaginated(base, {
      scope: 'sub',
      filter,
      attributes,
      paged: { pageSize: this.options.pageSize },
      // The server's own limit, in seconds, in addition to the client's deadline per page.
      timeLimit: Math.max(1, Math.ceil(this.options.timeoutMs / 1000)),
    });
    try {
      for (;;) {
        let page: IteratorResult<{ searchEntries: Entry[] }>;
        try {
          page = await pages.next();
        } catch (err) {
          this.drop(client);
          throw classify(err, what, this.options.caFile);
        }
        if (page.done) return;
        this.pages += 1;
        this.entries += page.value.searchEntries.length;
        yield* page.value.searchEntries;
      }
    } finally {
      await pages.return(undefined).catch(() => {});
    }
  }

  /** The open, bound connection; made on first use and after a failure. */
  private connection(): Promise<Client> {
    if (this.client && this.reusable(this.client)) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * ldapts reconnects a dropped connection by itself, but unbound and without
   * StartTLS: fine for an anonymous plain or LDAPS client, never for a bound or
   * StartTLS one (it would silently search as anonymous, or in clear text).
   */
  private reusable(client: Client): boolean {
    if (this.options.bindDn || this.options.gssapi) return client.isConnected && client.isBound;
    if (this.options.starttls) return client.isConnected;
    return true;
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.unbind().catch(() => {});
  }

  /** The first server that answers; a refusal (bind, TLS) is final, only unavailability moves on. */
  private async connect(): Promise<Client> {
    const listed = typeof this.options.urls === 'function' ? await this.options.urls() : this.options.urls;
    const urls = listed && listed.length > 0 ? listed : [this.options.url];
    let last: unknown;
    for (const url of urls) {
      try {
        const client = await this.connectTo(url);
        this.current = url;
        return client;
      } catch (err) {
        if (!(err instanceof LdapUnavailableError)) throw err;
        last = err;
      }
    }
    throw last;
  }

  private async connectTo(url: string): Promise<Client> {
    const client = await openConnection(url, this.options, this.ccache);
    this.client = client;
    return client;
  }
}
