import { NotificationConsumer, type NotificationConsumerOptions } from './consumer.js';
import { HealthFile } from './health-file.js';
import { startHealthServer, type HealthServer } from './health-server.js';

/**
 * The whole novajoin-notify runtime around a handler: the consumer, its
 * health file and its /healthz + /metrics server, closed together. What
 * `runNotify` needs is then:
 *
 *   const listener = await startNotifyListener({ config: config.notifications, handler, logger });
 *   closeOnSignals(() => listener.close(), logger);
 *   await listener.closed;
 */
export interface NotifyListener {
  readonly consumer: NotificationConsumer;
  /** The HTTP server, or null when metrics_port is 0. */
  readonly http: HealthServer | null;
  /** Resolves once close() has finished (whoever called it). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface NotifyListenerOptions extends NotificationConsumerOptions {
  /** Overrides config.metricsPort; 0 here means "any free port" (tests), unlike the config's 0 = off. */
  readonly metricsPort?: number;
}

export async function startNotifyListener(opts: NotifyListenerOptions): Promise<NotifyListener> {
  const { config, logger } = opts;
  const consumer = new NotificationConsumer(opts);
  const healthFile = new HealthFile(config.healthFile, consumer, logger);
  let http: HealthServer | null = null;
  const port = opts.metricsPort ?? (config.metricsPort === 0 ? null : config.metricsPort);
  let closing: Promise<void> | null = null;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const close = () => {
    closing ??= (async () => {
      const steps: Array<() => Promise<void>> = [
        () => consumer.close(),
        () => healthFile.flush(),
        async () => healthFile.stop(),
        async () => http?.close(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn('error while closing the notification listener', { error: (err as Error).message });
        }
      }
      markClosed();
    })();
    return closing;
  };

  try {
    if (port !== null) {
      http = await startHealthServer(consumer, config.metricsListen, port);
      logger.info('notification listener health endpoint', { url: `http://${config.metricsListen}:${http.port}/healthz` });
    }
    await consumer.start();
    // So that the file says "consuming" by the time start resolves.
    await healthFile.flush();
  } catch (err) {
    await close();
    throw err;
  }
  return { consumer, get http() { return http; }, closed, close };
}
