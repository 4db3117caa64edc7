/**
 * Typed builders for the FreeIPA commands novajoin uses. A builder only
 * describes a command ({ method, args, options }); the same value can be
 * sent alone with `client.call(cmd)` or as one item of `client.batch([...])`.
 *
 * Option names are FreeIPA's wire names (API.txt), not the CLI ones:
 * `userpassword`, not `password` (FreeIPA answers OptionError 3005 to an
 * unknown option). Options left undefined are not sent. The `version`
 * option is added by the client, never here.
 *
 * The DNS builders live in dns-commands.ts and the RBAC ones in
 * rbac-commands.ts; this module keeps the shared types and the rest.
 */

/** Attribute values as FreeIPA returns them: most are lists. */
export type IpaEntry = Record<string, unknown> & { readonly dn?: string };

export type HostEntry = IpaEntry & {
  readonly fqdn?: readonly string[];
  readonly description?: readonly string[];
  readonly userclass?: readonly string[];
  readonly krbprincipalname?: readonly string[];
  readonly managedby_host?: readonly string[];
  readonly has_keytab?: boolean;
  readonly has_password?: boolean;
  /** Only from host_add / host_mod with `random`. */
  readonly randompassword?: string;
};

export type ServiceEntry = IpaEntry & {
  readonly krbprincipalname?: readonly string[];
  readonly krbcanonicalname?: readonly string[];
  readonly managedby_host?: readonly string[];
  readonly has_keytab?: boolean;
};

/** Output of *_add, *_mod, *_show. */
export type EntryOutput<E = IpaEntry> = { readonly result: E; readonly value: unknown; readonly summary: string | null };
/** Output of *_find: zero matches is `count: 0`, never NotFound. */
export type FindOutput<E = IpaEntry> = {
  readonly count: number;
  readonly truncated: boolean;
  readonly result: readonly E[];
  readonly summary: string | null;
};
/** Output of *_del. */
export type DeleteOutput = { readonly result: { readonly failed: readonly unknown[] }; readonly value: unknown; readonly summary: string | null };
/** Output of host_disable. */
export type BoolOutput = { readonly result: boolean; readonly value: unknown; readonly summary: string | null };
/** Output of the *_add_<member> / *_remove_<member> commands: failures are listed, not raised. */
export type MemberOutput<E = IpaEntry> = {
  readonly completed: number;
  readonly failed: Record<string, Record<string, ReadonlyArray<readonly [string, string]>>>;
  readonly result: E;
};
export type PingOutput = { readonly summary: string };

/**
 * A command ready to send. `R` is the output type; it exists only for the
 * compiler (so `client.call(hostShow(x))` is typed), nothing carries it at
 * run time.
 */
export interface IpaCommand<R = Record<string, unknown>> {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly __output?: R;
}

export type Options = Record<string, unknown>;

/** Shared with dns-commands.ts and rbac-commands.ts so every builder drops undefined options and freezes alike. */
export function command<R>(method: string, args: readonly unknown[], options: Options = {}): IpaCommand<R> {
  const clean: Options = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) clean[key] = value;
  return Object.freeze({ method, args: Object.freeze([...args]), options: Object.freeze(clean) });
}

/** Options most object commands take. */
export interface CommonOptions {
  /** Return every attribute. */
  readonly all?: boolean;
  /** LDAP names and raw values, no member conversion. */
  readonly raw?: boolean;
  readonly no_members?: boolean;
}

// ---- ping

export function ping(): IpaCommand<PingOutput> {
  return command('ping', []);
}

// ---- config_show

/** The global configuration (cn=ipaConfig); Int attributes come as lists of decimal strings. */
export function configShow(): IpaCommand<EntryOutput<Record<string, unknown>>> {
  return command('config_show', []);
}

// ---- host_*

export interface HostAttributes {
  readonly description?: string;
  readonly userclass?: readonly string[];
  readonly nsosversion?: string;
  readonly nshostlocation?: string;
  readonly nshardwareplatform?: string;
  readonly l?: string;
  readonly macaddress?: readonly string[];
  readonly ipasshpubkey?: readonly string[];
  /** The OTP the guest enrolls with (CLI `--password`). */
  readonly userpassword?: string;
  /** Let FreeIPA generate the OTP; it comes back as `randompassword`. */
  readonly random?: boolean;
  readonly setattr?: readonly string[];
  readonly addattr?: readonly string[];
  readonly delattr?: readonly string[];
}

export interface HostAddOptions extends HostAttributes, CommonOptions {
  /** Skip the DNS A/AAAA check (4019 otherwise). */
  readonly force?: boolean;
  readonly ip_address?: string;
  readonly no_reverse?: boolean;
}

export function hostAdd(fqdn: string, options: HostAddOptions = {}): IpaCommand<EntryOutput<HostEntry>> {
  return command('host_add', [fqdn], { ...options });
}

export interface HostModOptions extends HostAttributes, CommonOptions {
  readonly krbprincipalname?: readonly string[];
  readonly updatedns?: boolean;
}

/** Note: FreeIPA refuses `userpassword`/`random` on an enrolled host (ValidationError 3009). */
export function hostMod(fqdn: string, options: HostModOptions): IpaCommand<EntryOutput<HostEntry>> {
  return command('host_mod', [fqdn], { ...options });
}

export interface HostDelOptions {
  /** Remove the host's A, AAAA, SSHFP and PTR records too. */
  readonly updatedns?: boolean;
  /** Collect failures in `result.failed` instead of stopping at the first. */
  readonly continue?: boolean;
}

export function hostDel(fqdn: string | readonly string[], options: HostDelOptions = {}): IpaCommand<DeleteOutput> {
  return command('host_del', [typeof fqdn === 'string' ? [fqdn] : [...fqdn]], { ...options });
}

export function hostShow(fqdn: string, options: CommonOptions = {}): IpaCommand<EntryOutput<HostEntry>> {
  return command('host_show', [fqdn], { ...options });
}

export interface HostFindOptions extends CommonOptions {
  readonly fqdn?: string;
  readonly description?: string;
  readonly userclass?: readonly string[];
  readonly in_hostgroup?: readonly string[];
  readonly man_by_host?: readonly string[];
  readonly not_man_by_host?: readonly string[];
  /** 0 means no limit (the server default is 100). */
  readonly sizelimit?: number;
  readonly timelimit?: number;
  readonly pkey_only?: boolean;
}

export function hostFind(criteria?: string, options: HostFindOptions = {}): IpaCommand<FindOutput<HostEntry>> {
  return command('host_find', criteria === undefined ? [] : [criteria], { ...options });
}

/** Removes the host's keys (un-enrolls it); AlreadyInactive 4010 when there was nothing to do. */
export function hostDisable(fqdn: string): IpaCommand<BoolOutput> {
  return command('host_disable', [fqdn]);
}

// ---- service_*

export interface ServiceAddOptions extends CommonOptions {
  /** Allow host/ principals and skip the DNS check. */
  readonly force?: boolean;
  /** Do not require a host entry (then no managedby is set). */
  readonly skip_host_check?: boolean;
  readonly ipakrbauthzdata?: readonly string[];
}

export function serviceAdd(principal: string, options: ServiceAddOptions = {}): IpaCommand<EntryOutput<ServiceEntry>> {
  return command('service_add', [principal], { ...options });
}

/** Adds hosts to the service's managedby; a missing host is listed in `failed`, not raised. */
export function serviceAddHost(principal: string, hosts: readonly string[]): IpaCommand<MemberOutput<ServiceEntry>> {
  return command('service_add_host', [principal], { host: [...hosts] });
}

export function serviceRemoveHost(principal: string, hosts: readonly string[]): IpaCommand<MemberOutput<ServiceEntry>> {
  return command('service_remove_host', [principal], { host: [...hosts] });
}

export function serviceDel(principal: string | readonly string[], options: { readonly continue?: boolean } = {}): IpaCommand<DeleteOutput> {
  return command('service_del', [typeof principal === 'string' ? [principal] : [...principal]], { ...options });
}

export function serviceShow(principal: string, options: CommonOptions = {}): IpaCommand<EntryOutput<ServiceEntry>> {
  return command('service_show', [principal], { ...options });
}

export interface ServiceFindOptions extends CommonOptions {
  readonly man_by_host?: readonly string[];
  readonly not_man_by_host?: readonly string[];
  readonly krbprincipalname?: readonly string[];
  readonly krbcanonicalname?: string;
  readonly sizelimit?: number;
  readonly timelimit?: number;
  readonly pkey_only?: boolean;
}

export function serviceFind(criteria?: string, options: ServiceFindOptions = {}): IpaCommand<FindOutput<ServiceEntry>> {
  return command('service_find', criteria === undefined ? [] : [criteria], { ...options });
}
