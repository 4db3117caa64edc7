/**
 * Builders for the FreeIPA DNS commands (dnsrecord_*, dnszone_show): the
 * directory's reads and writes of a host's address records in its zone.
 */
import { command, type CommonOptions, type EntryOutput, type FindOutput, type IpaCommand, type IpaEntry } from './commands.js';

/** DNS names arrive as `{__dns_name__}` and are decoded to strings by the client. */
export type DnsRecordEntry = IpaEntry & {
  readonly idnsname?: readonly string[];
  readonly arecord?: readonly string[];
  readonly aaaarecord?: readonly string[];
  readonly ptrrecord?: readonly string[];
};

export interface DnsRecordValues {
  readonly arecord?: readonly string[];
  readonly aaaarecord?: readonly string[];
  readonly ptrrecord?: readonly string[];
  readonly cnamerecord?: readonly string[];
  readonly txtrecord?: readonly string[];
  readonly sshfprecord?: readonly string[];
}

export interface DnsRecordAddOptions extends DnsRecordValues, CommonOptions {
  /** Add the matching PTR record (only with a_part_ip_address). */
  readonly a_part_ip_address?: string;
  readonly a_extra_create_reverse?: boolean;
  readonly aaaa_part_ip_address?: string;
  readonly aaaa_extra_create_reverse?: boolean;
  readonly dnsttl?: number;
  readonly force?: boolean;
}

/** Adding a value that is already there gives EmptyModlist 4202 (treat as done). */
export function dnsrecordAdd(zone: string, name: string, options: DnsRecordAddOptions): IpaCommand<EntryOutput<DnsRecordEntry>> {
  return command('dnsrecord_add', [zone, name], { ...options });
}

export interface DnsRecordDelOptions extends DnsRecordValues {
  /** Delete every record of the name. */
  readonly del_all?: boolean;
}

/** Removing a value that is not there gives AttrValueNotFound 4026 (treat as done). */
export function dnsrecordDel(zone: string, name: string, options: DnsRecordDelOptions): IpaCommand<EntryOutput<DnsRecordEntry | { readonly failed: readonly unknown[] }>> {
  return command('dnsrecord_del', [zone, name], { ...options });
}

export interface DnsRecordFindOptions extends DnsRecordValues, CommonOptions {
  /** Exact record name. */
  readonly idnsname?: string;
  readonly sizelimit?: number;
  readonly timelimit?: number;
  readonly pkey_only?: boolean;
}

export function dnsrecordFind(zone: string, criteria?: string, options: DnsRecordFindOptions = {}): IpaCommand<FindOutput<DnsRecordEntry>> {
  return command('dnsrecord_find', criteria === undefined ? [zone] : [zone, criteria], { ...options });
}

export function dnszoneShow(zone: string, options: CommonOptions = {}): IpaCommand<EntryOutput> {
  return command('dnszone_show', [zone], { ...options });
}
