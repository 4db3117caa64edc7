#!/usr/bin/env node
/** novajoin-server: Nova's DynamicJSON vendordata target (POST /v1/). */
import { serviceMain, untilSignal } from '../cli/common.js';
import { startServer } from '../server/start.js';

const USAGE = `Usage: novajoin-server [--config-file FILE]

Serves Nova's DynamicJSON vendordata target on [DEFAULT] join_listen:join_listen_port
(POST /v1/), plus /healthz, /readyz and /metrics.

Options:
  --config-file FILE  configuration (default $NOVAJOIN_CONFIG_FILE or /etc/novajoin/join.conf)
  --help              this text
  --version           the version
`;

await serviceMain('novajoin-server', USAGE, async (config, logger) => {
  const server = await startServer(config, logger);
  const signal = await untilSignal();
  logger.info('stopping', { signal });
  await server.close();
});
