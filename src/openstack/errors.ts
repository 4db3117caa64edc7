/**
 * Typed errors of the OpenStack adapters. Every failure to reach Keystone,
 * Nova, Glance or Neutron is a DependencyUnavailable (503): the caller (Nova
 * for the join path, the consumer for notifications) may try again later.
 * The subclasses say why, for the log line and for `novajoin check`.
 */
import { DependencyUnavailable } from '../errors.js';

/** Keystone refused our own service credentials (wrong user, password or scope). */
export class ServiceCredentialsRefused extends DependencyUnavailable {
  constructor(readonly username: string, message: string, options?: { cause?: unknown }) {
    super('keystone', message, options);
  }
}

/** The service catalog has no endpoint for a service type, interface and region. */
export class EndpointNotFound extends DependencyUnavailable {
  constructor(readonly serviceType: string, message: string) {
    super(serviceType, message);
  }
}

/**
 * A service answered with a status we cannot use (a 403 because our user lacks
 * admin rights, a 400 on a bad marker...). Not retryable by waiting, but still a
 * dependency problem from the caller's point of view.
 */
export class UnexpectedResponse extends DependencyUnavailable {
  constructor(dependency: string, readonly httpStatus: number, message: string) {
    super(dependency, message);
  }
}
