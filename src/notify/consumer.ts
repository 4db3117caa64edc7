import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { ConsumeMessage } from 'amqplib';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { BackoffOptions } from './backoff.js';
import { BrokerConnection } from './broker-connection.js';
import { CONSUMER_STATES, describeError, type ConsumerEvents, type ConsumerState, type Emit } from './consumer-events.js';
import { NotifyMetrics, type MetricsSnapshot } from './metrics.js';
import { DeliveryPipeline, type Delivery } from './pipeline.js';
import { closeSession, withTimeout, type Session } from './session.js';
import { consumedQueues } from './topology.js';
import { loadBrokerTls } from './broker-tls.js';
import { parseTransportUrl } from './transport-url.js';
import type { EventHandler } from './types.js';

export { CONSUMER_STATES, type ConsumerEvents, type ConsumerState, type MessageSettled } from './consumer-events.js';

/**
 * The notification listener (design B5): the queues oslo.messaging declares
 * for our topics (topology.ts), manual
 * acks, transient failures retried with backoff, poison messages to a
 * dead-letter queue, reconnect on broker loss, drain on close. Lifecycle as
 * bullmq's Worker: `start()`, then a memoised `close()` whose steps each run
 * in their own try/catch. What happens to each message is pipeline.ts;
 * connecting and failing over between brokers is broker-connection.ts.
 *
 * Retry mechanism: a failed message is republished (publisher confirms) to a
 * delay queue and the original acked. Each backoff level has its own delay
 * queue `<retry_queue_prefix>.retry.<ms>` whose expired messages dead-letter
 * back into the first topic's INFO queue through the default exchange.
 * Per-message TTLs expire only at the head of a queue, so one queue per
 * level keeps the TTLs in a queue within the
 * jitter of each other: a message never waits much past its own delay. Chosen
 * over "keep it unacked and re-run it after a timer" because with FreeIPA down
 * for an hour and hundreds of messages, timers would hold every prefetch slot
 * and stall unrelated work, the waiting set would live in this process's
 * memory, and a restart would lose the backoff state. The price: a crash
 * between the confirm and the ack leaves two copies, which the handlers'
 * idempotence (and the `_unique_id` window) absorb; and a retried message goes
 * behind newer ones, so handlers must not assume Nova's order across retries.
 */

export interface NotificationConsumerOptions {
  readonly config: Config['notifications'];
  readonly handler: EventHandler;
  readonly logger: Logger;
  /** Overrides `config.transportUrl` (oslo rabbit:// form or amqp://). */
  readonly url?: string;
  /** `connection_name` client property, shown by `rabbitmqctl list_connections`. */
  readonly connectionName?: string;
  /** How many processed `_unique_id`s are remembered. @defaultValue 4096 */
  readonly dedupWindow?: number;
  /** Backoff between reconnect attempts. @defaultValue 1 s doubling to 30 s, as oslo's rabbit driver */
  readonly reconnect?: BackoffOptions;
  /** TCP + AMQP handshake deadline. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** AMQP heartbeat, seconds. @defaultValue 30 */
  readonly heartbeatSeconds?: number;
  /** Deadline for broker round trips: a retry or dead-letter publish confirm, cancel, close. @defaultValue 10000 */
  readonly publishTimeoutMs?: number;
}

export class NotificationConsumer extends EventEmitter<ConsumerEvents> {
  readonly metrics = new NotifyMetrics();
  private readonly config: Config['notifications'];
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly broker: BrokerConnection;
  private readonly pipeline: DeliveryPipeline;
  private readonly deliveries = new Set<Delivery>();
  private readonly deliveryDone = new Set<() => void>();
  private readonly stopping = new AbortController();

  private _state: ConsumerState = 'idle';
  private stateSince = Date.now();
  private started: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(opts: NotificationConsumerOptions) {
    super();
    this.config = opts.config;
    this.logger = opts.logger;
    if (this.config.exchanges.length === 0 || this.config.topics.length === 0) {
      throw new Error('notifications: at least one exchange and one topic are needed');
    }
    this.timeoutMs = opts.publishTimeoutMs ?? 10_000;
    // EventEmitter<T>'s emit signature is not generic over the key; the Emit type keeps callers checked.
    const emit = ((event: keyof ConsumerEvents, ...args: unknown[]) => this.emit(event, ...(args as never))) as Emit;
    this.broker = new BrokerConnection({
      config: this.config,
      endpoints: parseTransportUrl(opts.url ?? opts.config.transportUrl, loadBrokerTls(opts.config.tls)),
      connectionName: opts.connectionName ?? `novajoin-notify ${hostname()} pid ${process.pid}`,
      reconnect: opts.reconnect ?? { initialMs: 1000, maxMs: 30_000 },
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      heartbeatSeconds: opts.heartbeatSeconds ?? 30,
      closeTimeoutMs: this.timeoutMs,
      stopping: this.stopping.signal,
      logger: this.logger,
      metrics: this.metrics,
      emit,
      setState: (state) => this.setState(state),
      onMessage: (session, msg) => this.onMessage(session, msg),
      close: () => void this.close(),
    });
    this.pipeline = new DeliveryPipeline({
      config: this.config,
      handler: opts.handler,
      logger: this.logger,
      metrics: this.metrics,
      emit,
      dedupWindow: opts.dedupWindow ?? 4096,
      publishTimeoutMs: this.timeoutMs,
      isClosing: () => this.closing !== null,
    });
  }

  get state(): ConsumerState {
    return this._state;
  }

  /** Messages taken off the queue and not yet settled. */
  get inFlight(): number {
    return this.deliveries.size;
  }

  /** For the health file and /healthz. */
  status(): { state: ConsumerState; since: number; inFlight: number; broker: string | null } & MetricsSnapshot {
    const session = this.broker.session;
    const broker = session?.alive ? session.endpoint.display : null;
    return { state: this._state, since: this.stateSince, inFlight: this.inFlight, broker, ...this.metrics.snapshot() };
  }

  renderMetrics(): Promise<string> {
    return this.metrics.render({ state: this._state, states: CONSUMER_STATES, inFlight: this.inFlight });
  }

  /**
   * Connects, declares the queues and starts consuming. Resolves once
   * consuming; broker outages are waited out (retried with backoff), but a
   * refused login or a conflicting declaration at start-up rejects, since no
   * retry can fix configuration.
   */
  start(): Promise<void> {
    if (this.started) return this.started;
    if (this.closing) return Promise.reject(new Error('the listener is closed'));
    this.started = new Promise<void>((resolve, reject) => {
      this.loop = this.broker.run(resolve, reject);
    });
    return this.started;
  }

  /** Stops consuming, drains, requeues what is left, closes. Safe to call repeatedly. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private setState(state: ConsumerState): void {
    if (this._state === state) return;
    this._state = state;
    this.stateSince = Date.now();
    this.emit('state', state);
  }

  private onMessage(session: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (queue deleted): reconnect, which re-declares.
      this.logger.warn('the broker cancelled the consumer, reconnecting', { queues: consumedQueues(this.config) });
      session.model.close().catch(() => undefined);
      return;
    }
    const delivery: Delivery = { msg, session, abort: new AbortController(), settled: false };
    this.deliveries.add(delivery);
    this.metrics.lastMessageAt = Date.now();
    this.pipeline
      .process(delivery)
      .catch((err: unknown) => {
        // A bug of ours, not of the message: requeue rather than lose it.
        this.logger.error('notification processing failed', { error: describeError(err) });
        this.pipeline.requeue(delivery, null, null);
        if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        this.deliveries.delete(delivery);
        for (const wake of this.deliveryDone) wake();
      });
  }

  /** Resolves when no delivery is in flight, or after `ms`. */
  private async whenIdle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.deliveries.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        function wake() {
          clearTimeout(timer);
          resolve();
        }
        this.deliveryDone.add(wake);
      });
      this.deliveryDone.clear();
    }
  }

  /** bullmq's order: stop taking work, wait for what is running, give back the rest, close the broker side. */
  private async shutdown(): Promise<void> {
    const wasRunning = this._state !== 'idle';
    this.stopping.abort();
    this.setState('draining');
    const session = this.broker.session;
    const steps: Array<[string, () => Promise<void>]> = [
      ['cancel the consumer', async () => {
        for (const tag of session?.alive ? session.consumerTags : []) await withTimeout(session!.channel.cancel(tag), this.timeoutMs);
      }],
      ['drain', () => this.whenIdle(this.config.drainTimeoutMs)],
      ['requeue what is left', async () => {
        const left = [...this.deliveries];
        if (left.length > 0) this.logger.warn('drain timeout: requeueing notifications still in flight', { count: left.length });
        for (const d of left) this.pipeline.requeue(d, null, null);
      }],
      ['close the channel', async () => {
        if (session?.alive) await withTimeout(session.channel.close(), this.timeoutMs);
      }],
      ['close the connection', async () => {
        if (session) await closeSession(session, this.timeoutMs);
      }],
      ['stop the connection loop', async () => {
        await this.loop;
      }],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.logger.debug(`close: could not ${what}`, { error: describeError(err) });
      }
    }
    this.setState('stopped');
    if (wasRunning) this.logger.info('notification listener stopped', { inFlightLeft: this.deliveries.size });
  }
}
