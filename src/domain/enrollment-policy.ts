/** The enrollment rules of a configuration, as the domain sees them. */
import type { Config } from '../config/types.js';
import type { EnrollmentPolicy } from './model.js';

export function enrollmentPolicy(config: Config, realm = config.freeipa.realm): EnrollmentPolicy {
  return { naming: config.naming, realm, projects: config.projects };
}
