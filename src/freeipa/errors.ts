/**
 * FreeIPA's public error codes (ipalib/errors.py) as classes, so that callers
 * branch with `instanceof` and never on message text. The same table is used
 * by the client (JSON error -> class) and by the FreeIPA emulator (class ->
 * JSON error), which keeps the two from drifting apart.
 */

export interface RpcErrorJson {
  readonly code: number;
  readonly name: string;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/** An error FreeIPA answered with (a JSON-RPC `error` or a batch item error). */
export class FreeIpaError extends Error {
  static readonly errno: number = 903;
  readonly code: number;
  readonly data: Record<string, unknown>;
  constructor(message: string, data: Record<string, unknown> = {}, code?: number) {
    super(message);
    this.code = code ?? (new.target as typeof FreeIpaError).errno;
    this.data = data;
    this.name = new.target === FreeIpaError ? 'FreeIpaError' : new.target.name.replace(/Error$/, '') || new.target.name;
  }
  /** The wire name FreeIPA uses for this code (NotFound, DuplicateEntry, ...). */
  get rpcName(): string {
    return NAMES.get(this.code) ?? 'UnknownError';
  }
  toJSON(): RpcErrorJson {
    return { code: this.code, name: this.rpcName, message: this.message, data: this.data };
  }
}

const define = (errno: number, name: string) => {
  const cls = class extends FreeIpaError {
    static override readonly errno = errno;
  };
  Object.defineProperty(cls, 'name', { value: `${name}Error` });
  NAMES.set(errno, name);
  return cls;
};

const NAMES = new Map<number, string>([[903, 'InternalError']]);

export const VersionError = define(901, 'VersionError');
export const InternalError = define(903, 'InternalError');
export const CommandError = define(905, 'CommandError');
export const JSONError = define(909, 'JSONError');
export const RefererError = define(911, 'RefererError');
export const CCacheError = define(1101, 'CCacheError');
export const TicketExpiredError = define(1104, 'TicketExpired');
export const InvalidSessionPasswordError = define(1201, 'InvalidSessionPassword');
export const ACIError = define(2100, 'ACIError');
export const ZeroArgumentError = define(3003, 'ZeroArgumentError');
export const MaxArgumentError = define(3004, 'MaxArgumentError');
export const OptionError = define(3005, 'OptionError');
export const RequirementError = define(3007, 'RequirementError');
export const ConversionError = define(3008, 'ConversionError');
export const ValidationError = define(3009, 'ValidationError');
export const NotFoundError = define(4001, 'NotFound');
export const DuplicateEntryError = define(4002, 'DuplicateEntry');
export const HostServiceError = define(4003, 'HostService');
export const RealmMismatchError = define(4005, 'RealmMismatch');
export const AlreadyActiveError = define(4009, 'AlreadyActive');
export const AlreadyInactiveError = define(4010, 'AlreadyInactive');
export const NotGroupMemberError = define(4012, 'NotGroupMember');
export const AlreadyGroupMemberError = define(4014, 'AlreadyGroupMember');
export const DNSNotARecordError = define(4019, 'DNSNotARecordError');
export const AttrValueNotFoundError = define(4026, 'AttrValueNotFound');
export const SingleMatchExpectedError = define(4027, 'SingleMatchExpected');
export const EmptyModlistError = define(4202, 'EmptyModlist');
export const DatabaseError = define(4203, 'DatabaseError');
export const ObjectclassViolationError = define(4205, 'ObjectclassViolation');
export const MutuallyExclusiveError = define(4303, 'MutuallyExclusiveError');
export const DependentEntryError = define(4307, 'DependentEntry');
export const ProtectedEntryError = define(4309, 'ProtectedEntryError');

const BY_CODE = new Map<number, typeof FreeIpaError>(
  [
    VersionError, InternalError, CommandError, JSONError, RefererError, CCacheError, TicketExpiredError,
    InvalidSessionPasswordError, ACIError, ZeroArgumentError, MaxArgumentError, OptionError, RequirementError,
    ConversionError, ValidationError, NotFoundError, DuplicateEntryError, HostServiceError, RealmMismatchError,
    AlreadyActiveError, AlreadyInactiveError, NotGroupMemberError, AlreadyGroupMemberError, DNSNotARecordError,
    AttrValueNotFoundError, SingleMatchExpectedError, EmptyModlistError, DatabaseError, ObjectclassViolationError,
    MutuallyExclusiveError, DependentEntryError, ProtectedEntryError,
  ].map((cls) => [cls.errno, cls]),
);

/** The class for a wire error; an unknown code keeps its number on a FreeIpaError. */
export function fromRpcError(error: { code: number; message?: string; data?: Record<string, unknown> | null }): FreeIpaError {
  const cls = BY_CODE.get(error.code);
  const message = error.message ?? `FreeIPA error ${error.code}`;
  return cls ? new cls(message, error.data ?? {}) : new FreeIpaError(message, error.data ?? {}, error.code);
}

/** A batch item error as FreeIPA encodes it inside `results[i]`. */
export function fromBatchItem(item: { error: string; error_code: number; error_kw?: Record<string, unknown> | null }): FreeIpaError {
  return fromRpcError({ code: item.error_code, message: item.error, data: item.error_kw ?? {} });
}

// ---- Errors of the transport, not of FreeIPA's command layer.

/** FreeIPA could not be reached, answered 5xx, or the deadline passed. Retrying may help. */
export class FreeIpaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaUnavailableError';
  }
}

/** The connection to one FreeIPA server failed before anything was sent: no command can have run there. */
export class FreeIpaConnectError extends FreeIpaUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaConnectError';
  }
}

/**
 * A command that writes was sent and its answer was lost (connection broken,
 * 5xx): it may or may not have been applied. It is not resent, on this server
 * or another; the caller re-plans from a fresh read.
 */
export class FreeIpaOutcomeUnknownError extends FreeIpaUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaOutcomeUnknownError';
  }
}

/** The deadline given by the caller passed before FreeIPA answered. */
export class FreeIpaTimeoutError extends FreeIpaUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaTimeoutError';
  }
}

/**
 * Refused before being sent: the calls queued ahead of this one would not
 * leave it time to finish before its deadline. `retryAfterMs` is when the
 * queue should have drained.
 */
export class FreeIpaSaturatedError extends FreeIpaTimeoutError {
  constructor(message: string, readonly retryAfterMs: number, readonly waitedMs = 0) {
    super(message);
    this.name = 'FreeIpaSaturatedError';
  }
}

/** Login was refused: wrong password, unknown principal, bad keytab. Retrying will not help. */
export class FreeIpaAuthError extends Error {
  constructor(message: string, readonly reason?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaAuthError';
  }
}

/** The TLS certificate of FreeIPA did not verify against the configured CA. */
export class FreeIpaTlsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FreeIpaTlsError';
  }
}
