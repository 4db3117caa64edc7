/**
 * Every check `novajoin check` runs, in the order its lines print. Each is
 * independent (they run side by side); a new check is one more entry.
 */
import { checkFreeIpa, checkLdap, checkOpenStack, checkRabbit, type Check } from './checks.js';
import { checkFiles } from './files.js';
import { checkNotificationQueues } from './rabbit-queues.js';

export const CHECKS: readonly Check[] = [checkFiles, checkFreeIpa, checkOpenStack, checkRabbit, checkNotificationQueues, checkLdap];
