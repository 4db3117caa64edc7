#!/usr/bin/env node
/** novajoin-notify: keeps FreeIPA in step with Nova and Neutron notifications. */
import { serviceMain } from '../cli/common.js';
import type { Need } from '../config/load.js';
import type { Config } from '../config/types.js';
import { closeOnSignals } from '../notify/lifecycle.js';
import { startNotify } from '../notify/start.js';

const USAGE = `Usage: novajoin-notify [--config-file FILE] [--log-format FMT] [--debug]

Consumes Nova and Neutron notifications from RabbitMQ ([DEFAULT] transport_url,
[notifications] queue) and removes deleted instances from FreeIPA, follows
metadata updates, rebuilds and floating IPs.
`;

// LDAP only matters when the periodic resync runs inside the listener.
const needs = (config: Config): Need[] => ['freeipa', 'freeipa-login', ...(config.notifications.resyncIntervalMs > 0 ? (['ldap'] as const) : [])];

await serviceMain('novajoin-notify', USAGE, needs, async (config, logger) => {
  const notify = await startNotify(config, logger);
  // Resolve only once everything is closed, FreeIPA session included, whoever started the close.
  const stopped = new Promise<void>((resolve) => closeOnSignals(() => notify.close().finally(resolve), logger));
  await Promise.race([stopped, notify.listener.closed.then(() => notify.close())]);
});
