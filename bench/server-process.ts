/**
 * novajoin-server as the benchmark runs it: src/bin/novajoin-server.ts's
 * production path (config file, logger, startServer with every adapter built
 * from the configuration) with one difference, the FreeIPA client's resolver
 * pinned so that ipa.example.test is 127.0.0.1. It runs in its own process,
 * so its RSS is the service's alone.
 *
 * Bench-only extras over IPC (run.ts forks this): 'ready' with the URL once
 * listening; the FreeIPA client's calls (start, duration) on request, so
 * run.ts can subtract the time spent in FreeIPA from each join's latency; the
 * client's round-trip and login counters.
 *
 * Usage: node --import tsx bench/server-process.ts --config-file F
 */
import { parseArgs } from 'node:util';
import { loadConfiguration, serviceLogger, untilSignal } from '../src/cli/common.js';
import { clientFromConfig, type RpcEvent } from '../src/freeipa/client.js';
import { startServer } from '../src/server/start.js';
import { pinnedLookup } from './dns.js';

/** A FreeIPA call as seen by the service: [start epoch ms, duration ms, method]. */
export type RpcSpan = [number, number, string];

export type ServerRequest = { type: 'record'; on: boolean } | { type: 'spans' } | { type: 'stats' };
export type ServerReply =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'spans'; spans: RpcSpan[] }
  | { type: 'stats'; roundTrips: number; logins: number; retries: number; errors: Record<string, number>; rpcCount: number; rpcMs: number; memory: NodeJS.MemoryUsage };

const { values } = parseArgs({ options: { 'config-file': { type: 'string' } } });
const { config, warnings } = loadConfiguration(values['config-file']);
const logger = serviceLogger(config, 'novajoin-server');
for (const warning of warnings) logger.warn(warning);

const freeipa = clientFromConfig(config, logger.child({ component: 'freeipa' }), { lookup: pinnedLookup(config.freeipa.server) });
let recording = false;
let spans: RpcSpan[] = [];
let rpcCount = 0;
let rpcMs = 0;
freeipa.on('rpc', (event: RpcEvent) => {
  rpcCount += 1;
  rpcMs += event.durationMs;
  if (recording) spans.push([performance.timeOrigin + performance.now() - event.durationMs, event.durationMs, event.method]);
});

const server = await startServer(config, logger, { freeipa });
const send = (reply: ServerReply) => process.send?.(reply);
process.on('message', (message: ServerRequest) => {
  if (message.type === 'record') {
    recording = message.on;
    spans = [];
  } else if (message.type === 'spans') {
    send({ type: 'spans', spans });
    spans = [];
  } else if (message.type === 'stats') {
    const stats = freeipa.stats;
    send({ type: 'stats', roundTrips: stats.roundTrips, logins: stats.logins, retries: stats.retries, errors: stats.errors, rpcCount, rpcMs, memory: process.memoryUsage() });
  }
});
send({ type: 'ready', url: server.url, pid: process.pid });

// Stop on SIGTERM/SIGINT as the real entry point does, or when run.ts goes away.
const disconnected = new Promise<string>((resolve) => process.once('disconnect', () => resolve('disconnect')));
const why = await Promise.race([untilSignal(), disconnected]);
logger.info('stopping', { signal: why });
await server.close();
if (process.connected) process.disconnect();
