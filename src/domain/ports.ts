/**
 * The interfaces the domain talks to. FreeIPA, Keystone, Glance, Nova and
 * Neutron are adapters behind them; tests swap adapters, never patch.
 */
import type { Binding } from './binding.js';
import type { DirectoryRefusal } from './errors.js';

/** What FreeIPA holds about one host, as far as enrollment cares. */
export interface HostState {
  readonly fqdn: string;
  readonly binding: Binding | null;
  /** Enrolled: the host has keys (ipa-join ran). */
  readonly hasKeytab: boolean;
  /** Waiting: an OTP is set and not yet used. */
  readonly hasPassword: boolean;
  readonly userClass: readonly string[];
  readonly location: string | null;
  readonly osVersion: string | null;
  /** FQDNs of the hosts that manage this one (always includes itself). */
  readonly managedBy: readonly string[];
}

export interface ServiceState {
  readonly principal: string;
  /** FQDNs of the hosts in the service's managedBy. */
  readonly managedBy: readonly string[];
}

/** Everything a flow needs to read, answered in one round trip. */
export interface ReadQuery {
  readonly hosts?: readonly string[];
  readonly services?: readonly string[];
  /** Hosts whose binding names this instance (its host and its own subhosts). */
  readonly hostsOfInstance?: string;
  /** Services whose managedBy includes any of these hosts. */
  readonly servicesManagedBy?: readonly string[];
  /** Names (FQDNs) that have an A record with this address. */
  readonly recordsWithAddress?: string;
}

export interface ReadResult {
  readonly hosts: ReadonlyMap<string, HostState | null>;
  readonly services: ReadonlyMap<string, ServiceState | null>;
  readonly hostsOfInstance: readonly HostState[];
  readonly servicesManagedBy: readonly ServiceState[];
  readonly recordsWithAddress: readonly string[];
}

export interface HostAttributes {
  readonly userClass?: string | null;
  readonly location?: string | null;
  readonly osVersion?: string | null;
}

export type WriteOp =
  | ({ readonly op: 'addHost'; readonly fqdn: string; readonly otp: string | null; readonly description: string } & HostAttributes)
  | { readonly op: 'setOtp'; readonly fqdn: string; readonly otp: string; readonly description: string }
  | ({ readonly op: 'modifyHost'; readonly fqdn: string } & HostAttributes)
  | { readonly op: 'disableHost'; readonly fqdn: string }
  | { readonly op: 'deleteHost'; readonly fqdn: string; readonly updateDns: boolean }
  | { readonly op: 'addHostManager'; readonly fqdn: string; readonly manager: string }
  | { readonly op: 'addService'; readonly principal: string }
  | { readonly op: 'addServiceHost'; readonly principal: string; readonly host: string }
  | { readonly op: 'removeServiceHost'; readonly principal: string; readonly host: string }
  | { readonly op: 'deleteService'; readonly principal: string }
  | { readonly op: 'addARecord'; readonly fqdn: string; readonly address: string }
  | { readonly op: 'deleteARecord'; readonly fqdn: string; readonly address: string };

export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly error: DirectoryRefusal };

/**
 * How a call competes for FreeIPA when FreeIPA cannot keep up: a repeat
 * (the instance was answered before) waits behind first joins and is
 * refused first. Absent: as a first join.
 */
export type Urgency = 'first-join' | 'repeat';

export interface DirectoryCallOptions {
  readonly urgency?: Urgency;
}

/** FreeIPA as the domain sees it: one read, then one write batch. */
export interface Directory {
  read(query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<ReadResult>;
  write(ops: readonly WriteOp[], deadline: number, options?: DirectoryCallOptions): Promise<WriteResult[]>;
  /**
   * The writes, then the read, in one round trip: the read sees what the
   * writes did, and a refused write (the host exists) comes with what is there.
   */
  writeAndRead(ops: readonly WriteOp[], query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<{ writes: WriteResult[]; read: ReadResult }>;
  /** The Kerberos realm, for principals and the join answer. */
  readonly realm: string;
  /** A cheap liveness call for readiness checks. */
  ping(deadline: number): Promise<void>;
  /**
   * The longest host FQDN FreeIPA accepts (its ipamaxhostnamelength), or null
   * when it cannot be learnt now: the join then leaves the check to FreeIPA.
   */
  maxHostnameLength(deadline: number): Promise<number | null>;
}

/** Glance: the properties of an image, or null when it is gone. */
export interface ImageLookup {
  imageProperties(imageId: string, deadline: number): Promise<Record<string, unknown> | null>;
}

/** Keystone: a project's name, for host classes, FQDN templates and service policy. */
export interface ProjectLookup {
  projectName(projectId: string, deadline: number): Promise<string | null>;
}

/** Neutron: the Nova server a port is attached to, or null. */
export interface PortLookup {
  deviceOfPort(portId: string, deadline: number): Promise<string | null>;
}
