#!/usr/bin/env node
/** novajoin-server: Nova's DynamicJSON vendordata target (POST /v1/). */
import { serviceMain, untilSignal } from '../cli/common.js';
import { startServer } from '../server/start.js';

const USAGE = `Usage: novajoin-server [--config-file FILE] [--log-format FMT] [--debug]

Serves Nova's DynamicJSON vendordata target on [DEFAULT] join_listen:join_listen_port
(POST /v1/), plus /healthz, /readyz and /metrics. Before listening it checks
what every join needs (FreeIPA URL and CA file, keytab, OTP secret, Keystone)
and reports every problem of the configuration at once.
`;

await serviceMain('novajoin-server', USAGE, ['freeipa', 'freeipa-login', 'otp-secret', 'keystone'], async (config, logger) => {
  const server = await startServer(config, logger);
  const signal = await untilSignal();
  logger.info('stopping', { signal });
  await server.close();
});
