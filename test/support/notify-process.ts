/**
 * A novajoin-notify-like process for the SIGTERM test: the listener with a
 * handler that takes a while, closeOnSignals, and nothing else. Prints one
 * JSON line per step on stdout, so the test can follow it. argv[2] is the
 * notifications config as JSON.
 */
import { createLogger } from '../../src/log/logger.js';
import { closeOnSignals } from '../../src/notify/lifecycle.js';
import { startNotifyListener } from '../../src/notify/listener.js';
import type { EventEnvelope } from '../../src/notify/types.js';
import type { NotifyConfig } from './notify.js';

const say = (step: string, extra: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ step, ...extra })}\n`);
const config = JSON.parse(process.argv[2] ?? '{}') as NotifyConfig;
const logger = createLogger({ stream: process.stderr, format: 'json' });

const handler = {
  async handle(envelope: EventEnvelope): Promise<'applied'> {
    say('handling', { uniqueId: envelope.uniqueId });
    await new Promise((r) => setTimeout(r, 500));
    say('applied', { uniqueId: envelope.uniqueId });
    return 'applied';
  },
};

const listener = await startNotifyListener({ config, handler, logger, connectionName: `novajoin-notify-process-${process.pid}` });
closeOnSignals(() => listener.close(), logger);
say('ready');
await listener.closed;
say('closed', { state: listener.consumer.state });
// No process.exit(): the test checks that nothing (socket, timer) keeps the process alive.
