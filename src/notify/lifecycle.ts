import type { Logger } from '../log/logger.js';

/**
 * SIGTERM (systemd stop) and SIGINT (Ctrl-C) run `close` once: stop
 * consuming, drain, close (see NotificationConsumer.close). A second signal
 * while draining exits at once; the broker redelivers what was not acked.
 * Returns a function that removes the handlers.
 */
export function closeOnSignals(
  close: () => Promise<void>,
  logger: Logger,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): () => void {
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn('second signal while draining, exiting now', { signal });
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    received = signal;
    logger.info('signal received, draining', { signal });
    close().catch((err: unknown) => logger.error('shutdown failed', { error: (err as Error).message }));
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
