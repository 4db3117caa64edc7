/** Policy file -> the HTTP layer's Authorize function (policy `join:create`). */
import type { Authorize } from '../http/authenticate.js';
import { loadPolicy } from '../http/policy/index.js';
import type { Logger } from '../log/logger.js';

export function loadAuthorizer(policyFile: string, logger: Logger): Authorize {
  return loadPolicy(policyFile, logger.child({ component: 'policy' })).authorizeCaller;
}
