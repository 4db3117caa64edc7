/**
 * novajoin-notify as the benchmark runs it: src/bin/novajoin-notify.ts's
 * production path (config file, startNotify with every adapter built from
 * the configuration, closeOnSignals) with the FreeIPA client's resolver
 * pinned so that ipa.example.test is 127.0.0.1. Its own process, forked by
 * run.ts, which it tells 'ready' once the consumer is consuming.
 *
 * Usage: node --import tsx bench/notify-process.ts --config-file F
 */
import { parseArgs } from 'node:util';
import { loadConfiguration, serviceLogger } from '../src/cli/common.js';
import { clientFromConfig } from '../src/freeipa/client.js';
import { closeOnSignals } from '../src/notify/lifecycle.js';
import { startNotify } from '../src/notify/start.js';
import { pinnedLookup } from './dns.js';

const { values } = parseArgs({ options: { 'config-file': { type: 'string' } } });
const { config, warnings } = loadConfiguration(values['config-file']);
const logger = serviceLogger(config, 'novajoin-notify');
for (const warning of warnings) logger.warn(warning);

const freeipa = clientFromConfig(config, logger.child({ component: 'freeipa' }), { lookup: pinnedLookup(config.freeipa.server) });
const notify = await startNotify(config, logger, { freeipa, connectionName: `novajoin-notify-bench-${process.pid}` });
process.send?.({ type: 'ready', pid: process.pid });

const stopped = new Promise<void>((resolve) => closeOnSignals(() => notify.close().finally(resolve), logger));
process.once('disconnect', () => void notify.close());
await Promise.race([stopped, notify.listener.closed.then(() => notify.close())]);
if (process.connected) process.disconnect();
