/**
 * Keeps the listener attached to a broker of transport_url, as oslo's rabbit
 * driver does: connect and consume, wait for the session to be lost, fail
 * over to the next broker with backoff; until `stopping` aborts. Apart from
 * the consumer so that what happens to messages and to close() does not
 * depend on how many brokers there are or which one is up.
 */
import type { ConsumeMessage } from 'amqplib';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { describeError, type ConsumerState, type Emit } from './consumer-events.js';
import type { NotifyMetrics } from './metrics.js';
import { closeSession, isConfigurationError, openSession, type Session } from './session.js';
import { bindings, consumedQueues } from './topology.js';
import type { AmqpEndpoint } from './transport-url.js';

export interface BrokerConnectionOptions {
  readonly config: Config['notifications'];
  readonly endpoints: readonly AmqpEndpoint[];
  readonly connectionName: string;
  readonly reconnect: BackoffOptions;
  readonly connectTimeoutMs: number;
  readonly heartbeatSeconds: number;
  /** Deadline to close a session opened while close() was already under way. */
  readonly closeTimeoutMs: number;
  /** Aborted by close(): no new session is opened, the loop ends. */
  readonly stopping: AbortSignal;
  readonly logger: Logger;
  readonly metrics: NotifyMetrics;
  readonly emit: Emit;
  readonly setState: (state: ConsumerState) => void;
  readonly onMessage: (session: Session, msg: ConsumeMessage | null) => void;
  /** Called once start-up was refused on configuration, which no retry can fix. */
  readonly close: () => void;
}

export class BrokerConnection {
  /** The last session opened, whether or not it is still alive; close() needs it to cancel and close. */
  session: Session | null = null;

  constructor(private readonly o: BrokerConnectionOptions) {}

  /** Connect, consume until the session is lost, reconnect; until close(). Brokers of the URL are tried in turn. */
  async run(resolveStart: () => void, rejectStart: (err: Error) => void): Promise<void> {
    const { stopping, logger } = this.o;
    let failures = 0;
    let index = 0;
    let consumedOnce = false;
    while (!stopping.aborted) {
      const endpoint = this.o.endpoints[index % this.o.endpoints.length] as AmqpEndpoint;
      this.o.setState('connecting');
      let session: Session;
      try {
        session = await this.connect(endpoint);
      } catch (err) {
        if (stopping.aborted) break;
        if (!consumedOnce && isConfigurationError(err)) {
          logger.error('notification listener cannot start', { broker: endpoint.display, error: describeError(err) });
          rejectStart(new Error(`notification listener cannot start on ${endpoint.display}: ${describeError(err)}`, { cause: err }));
          this.o.close();
          return;
        }
        failures += 1;
        index += 1;
        const delay = backoffDelay(failures, this.o.reconnect);
        logger.warn('cannot reach the message broker, will retry', { broker: endpoint.display, error: describeError(err), retryInMs: delay });
        await sleep(delay, stopping);
        continue;
      }
      if (stopping.aborted) {
        // close() began while we were connecting, after it looked for a session to close.
        await closeSession(session, this.o.closeTimeoutMs);
        break;
      }
      failures = 0;
      if (consumedOnce) this.o.metrics.reconnects += 1;
      consumedOnce = true;
      resolveStart();
      const error = await session.lost;
      if (stopping.aborted) break;
      this.o.setState('connecting');
      this.o.emit('disconnected', { broker: endpoint.display, error });
      logger.warn('lost the message broker connection, reconnecting', { broker: endpoint.display, error: error ? describeError(error) : 'closed' });
      // The next broker of the URL first, as oslo's driver fails over: the
      // lost one is most likely down, and a host that is gone (no RST)
      // would hold us for the whole connect timeout.
      index += 1;
      await sleep(backoffDelay(1, this.o.reconnect), stopping);
    }
    resolveStart(); // closed before ever consuming: start() has nothing left to wait for
  }

  private async connect(endpoint: AmqpEndpoint): Promise<Session> {
    const { config } = this.o;
    const session = await openSession(endpoint, {
      topology: config,
      prefetch: config.prefetch,
      connectionName: this.o.connectionName,
      connectTimeoutMs: this.o.connectTimeoutMs,
      heartbeatSeconds: this.o.heartbeatSeconds,
      beforeConsume: () => {
        this.o.setState('connected');
        if (this.o.stopping.aborted) throw new Error('closing');
      },
      onMessage: (s, msg) => this.o.onMessage(s, msg),
    });
    this.session = session;
    this.o.setState('consuming');
    this.o.emit('connected', { broker: endpoint.display });
    this.o.logger.info('consuming notifications', {
      broker: endpoint.display,
      queues: consumedQueues(config),
      bindings: bindings(config).map((b) => `${b.exchange}:${b.routingKey}`),
      prefetch: config.prefetch,
    });
    return session;
  }
}
