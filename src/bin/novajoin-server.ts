#!/usr/bin/env node
/** novajoin-server: Nova's DynamicJSON vendordata target (POST /v1/). */
import { parseArgs } from 'node:util';
import { loadConfiguration, packageVersion, runMain, serviceLogger, untilSignal } from '../cli/common.js';
import { startServer } from '../server/start.js';

const USAGE = `Usage: novajoin-server [--config-file FILE]

Serves Nova's DynamicJSON vendordata target on [DEFAULT] join_listen:join_listen_port
(POST /v1/), plus /healthz, /readyz and /metrics.

Options:
  --config-file FILE  configuration (default $NOVAJOIN_CONFIG_FILE or /etc/novajoin/join.conf)
  --help              this text
  --version           the version
`;

await runMain(async () => {
  const { values } = parseArgs({ options: { 'config-file': { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } } });
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
  const { config, warnings } = loadConfiguration(values['config-file']);
  const logger = serviceLogger(config, 'novajoin-server');
  for (const warning of warnings) logger.warn(warning);
  const server = await startServer(config, logger);
  const signal = await untilSignal();
  logger.info('stopping', { signal });
  await server.close();
  return 0;
}, 1);
