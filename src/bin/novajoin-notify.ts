#!/usr/bin/env node
/** novajoin-notify: keeps FreeIPA in step with Nova and Neutron notifications. */
import { serviceMain } from '../cli/common.js';
import { closeOnSignals } from '../notify/lifecycle.js';
import { startNotify } from '../notify/start.js';

const USAGE = `Usage: novajoin-notify [--config-file FILE]

Consumes Nova and Neutron notifications from RabbitMQ ([DEFAULT] transport_url,
[notifications] queue) and removes deleted instances from FreeIPA, follows
metadata updates, rebuilds and floating IPs.

Options:
  --config-file FILE  configuration (default $NOVAJOIN_CONFIG_FILE or /etc/novajoin/join.conf)
  --help              this text
  --version           the version
`;

await serviceMain('novajoin-notify', USAGE, async (config, logger) => {
  const notify = await startNotify(config, logger);
  // Resolve only once everything is closed, FreeIPA session included, whoever started the close.
  const stopped = new Promise<void>((resolve) => closeOnSignals(() => notify.close().finally(resolve), logger));
  await Promise.race([stopped, notify.listener.closed.then(() => notify.close())]);
});
