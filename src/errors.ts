/**
 * Typed errors of the service. Each carries the HTTP status it maps to and a
 * stable code; the HTTP error middleware is the one place that renders them.
 * `expose` decides whether the message may reach the caller: never for 5xx.
 */
export class ServiceError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal_error';
  get expose(): boolean {
    return this.status < 500;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed; `field` names what was wrong. */
export class InvalidRequest extends ServiceError {
  override readonly status = 400;
  override readonly code = 'invalid_request';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

export class Unauthorized extends ServiceError {
  override readonly status = 401;
  override readonly code = 'unauthorized';
}

export class Forbidden extends ServiceError {
  override readonly status = 403;
  override readonly code = 'forbidden';
}

/** The name is bound to another instance (B2): no OTP. */
export class HostConflict extends ServiceError {
  override readonly status = 409;
  override readonly code = 'host_conflict';
}

export class PayloadTooLarge extends ServiceError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}

/** A dependency (Keystone, Glance, FreeIPA) cannot be reached or timed out. */
export class DependencyUnavailable extends ServiceError {
  override readonly status = 503;
  override readonly code = 'dependency_unavailable';
  constructor(readonly dependency: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  override get expose(): boolean {
    return true;
  }
}

export class GatewayTimeout extends ServiceError {
  override readonly status = 504;
  override readonly code = 'timeout';
  override get expose(): boolean {
    return true;
  }
}
