/**
 * Every check `novajoin check` runs, in the order its lines print. Each is
 * independent (they run side by side); a new check is one more entry.
 */
import type { Check } from './checks.js';
import { checkFiles } from './files.js';
import { checkFreeIpa } from './freeipa.js';
import { checkLdap } from './ldap.js';
import { checkOpenStack } from './openstack.js';
import { checkNotificationQueues } from './rabbit-queues.js';
import { checkRabbit } from './rabbit-connection.js';

export const CHECKS: readonly Check[] = [checkFiles, checkFreeIpa, checkOpenStack, checkRabbit, checkNotificationQueues, checkLdap];
