/**
 * How values and messages look on the wire (ipalib/ipajson.py,
 * ipalib/capabilities.py, ipalib/messages.py): DNS names and datetimes are
 * typed objects only for clients whose `version` has the capability, the API
 * version is compared as (major, minor), and warnings travel in
 * `result.messages`.
 */
import { FreeIpaError } from '../freeipa/errors.js';

/** A DNS name in command output: `{"__dns_name__": "www"}` from API 2.88 on, a plain string before. */
export class DnsName {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

/** A datetime (LDAP generalized time) in output: `{"__datetime__": "20240102030405Z"}` from API 2.84 on. */
export class IpaDateTime {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type ApiVersion = readonly [number, number];

/** ipalib.capabilities.VERSION_WITHOUT_CAPABILITIES: what a request without `version` is encoded as. */
export const VERSION_WITHOUT_CAPABILITIES = '2.51';

const CAPABILITIES = {
  messages: '2.52',
  optional_uid_params: '2.54',
  permissions2: '2.69',
  primary_key_types: '2.83',
  datetime_values: '2.84',
  dns_name_values: '2.88',
} as const;

export type Capability = keyof typeof CAPABILITIES;

export function parseApiVersion(version: string): ApiVersion | null {
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(version);
  if (!m) return null;
  return [Number(m[1]), Number(m[2])];
}

export function compareVersions(a: ApiVersion, b: ApiVersion): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

export function hasCapability(version: string, capability: Capability): boolean {
  const v = parseApiVersion(version);
  const c = parseApiVersion(CAPABILITIES[capability]);
  return !!v && !!c && compareVersions(v, c) >= 0;
}

/** Recursively turns command output into JSON for a client of `version`. */
export function encodeOutput(value: unknown, version: string): unknown {
  if (value instanceof DnsName) return hasCapability(version, 'dns_name_values') ? { __dns_name__: value.name } : value.name;
  if (value instanceof IpaDateTime) return hasCapability(version, 'datetime_values') ? { __datetime__: value.value } : value.value;
  if (value instanceof Uint8Array) return { __base64__: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map((v) => encodeOutput(v, version));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeOutput(v, version);
    return out;
  }
  return value === undefined ? null : value;
}

/**
 * json_decode_binary: the typed values a client may send (ipalib encodes
 * every bytes value, certificate, datetime and DNS name this way). Bytes
 * become a Uint8Array, datetimes and DNS names their text, as the
 * emulator's params take them.
 */
export function decodeTypedInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeTypedInput);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, inner] = entries[0] as [string, unknown];
    if (typeof inner === 'string') {
      if (key === '__base64__') return new Uint8Array(Buffer.from(inner, 'base64'));
      if (key === '__datetime__' || key === '__dns_name__') return inner;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = decodeTypedInput(v);
  return out;
}

// ---- Messages (ipalib/messages.py)

export interface IpaMessage {
  readonly type: 'warning' | 'info' | 'error';
  readonly name: string;
  readonly message: string;
  readonly code: number;
  readonly data: Record<string, unknown>;
}

export const messages = {
  versionMissing: (serverVersion: string): IpaMessage => ({
    type: 'warning',
    name: 'VersionMissing',
    message: `API Version number was not sent, forward compatibility not guaranteed. Assuming server's API version, ${serverVersion}`,
    code: 13001,
    data: { server_version: serverVersion },
  }),
  searchResultTruncated: (reason: string): IpaMessage => ({
    type: 'warning',
    name: 'SearchResultTruncated',
    message: `Search result has been truncated: ${reason}`,
    code: 13017,
    data: { reason },
  }),
  failedToRemoveHostDnsRecords: (host: string, reason: string): IpaMessage => ({
    type: 'warning',
    name: 'FailedToRemoveHostDNSRecords',
    message: `DNS record(s) of host ${host} could not be removed. (${reason})`,
    code: 13020,
    data: { host, reason },
  }),
  certificateInvalid: (subject: string, reason: string): IpaMessage => ({
    type: 'error',
    name: 'CertificateInvalid',
    message: `${subject}: Malformed certificate. ${reason}`,
    code: 13029,
    data: { subject, reason },
  }),
  failedToAddHostDnsRecords: (reason: string): IpaMessage => ({
    type: 'warning',
    name: 'FailedToAddHostDNSRecords',
    message: `The host was added but the DNS update failed with: ${reason}`,
    code: 13030,
    data: { reason },
  }),
};

/**
 * An error FreeIPA has but src/freeipa/errors.ts does not name (that table
 * only lists what the client branches on): keeps the wire name right.
 */
export class NamedIpaError extends FreeIpaError {
  constructor(
    code: number,
    private readonly wireName: string,
    message: string,
    data: Record<string, unknown> = {},
  ) {
    super(message, data, code);
  }
  override get rpcName(): string {
    return this.wireName;
  }
}

export const extraErrors = {
  nonFatal: (reason: string) => new NamedIpaError(4304, 'NonFatalError', reason, { reason }),
  onlyOneValueAllowed: (attr: string) => new NamedIpaError(4207, 'OnlyOneValueAllowed', `${attr}: Only one value allowed.`, { attr }),
  midairCollision: (message: string) => new NamedIpaError(4201, 'MidairCollision', message, {}),
};
