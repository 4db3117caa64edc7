import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, baseDelay, sleep, type BackoffOptions } from './backoff.js';
import { RecentIds } from './dedup.js';
import { parseOsloTimestamp } from './envelope.js';
import { isTransient, PoisonMessage } from './errors.js';
import { KeyedQueue } from './keyed-queue.js';
import { NotifyMetrics, type MessageOutcome, type MetricsSnapshot } from './metrics.js';
import { parseNotification, type ParseResult, type UnsupportedVersion } from './parse.js';
import { attemptOf, copyOptions, HEADER, headerText, originOf } from './republish.js';
import { bindingKeys, declareTopology, retryQueueName } from './topology.js';
import { parseTransportUrl, type AmqpEndpoint } from './transport-url.js';
import type { EventEnvelope, EventHandler, NovaEvent } from './types.js';

/**
 * The notification listener (design B5): a durable queue of its own, manual
 * acks, transient failures retried with backoff, poison messages to a
 * dead-letter queue, reconnect on broker loss, drain on close. Lifecycle as
 * bullmq's Worker: `start()`, then a memoised `close()` whose steps each run
 * in their own try/catch.
 *
 * Retry mechanism: a failed message is republished (publisher confirms) to a
 * delay queue and the original acked. Each backoff level has its own delay
 * queue `<queue>.retry.<ms>` whose expired messages dead-letter back into our
 * queue through the default exchange. Per-message TTLs expire only at the head
 * of a queue, so one queue per level keeps the TTLs in a queue within the
 * jitter of each other: a message never waits much past its own delay. Chosen
 * over "keep it unacked and re-run it after a timer" because with FreeIPA down
 * for an hour and hundreds of messages, timers would hold every prefetch slot
 * and stall unrelated work, the waiting set would live in this process's
 * memory, and a restart would lose the backoff state. The price: a crash
 * between the confirm and the ack leaves two copies, which the handlers'
 * idempotence (and the `_unique_id` window) absorb.
 */

export type ConsumerState = 'idle' | 'connecting' | 'connected' | 'consuming' | 'draining' | 'stopped';
export const CONSUMER_STATES: readonly ConsumerState[] = ['idle', 'connecting', 'connected', 'consuming', 'draining', 'stopped'];

/** One message taken off the queue and settled, whatever became of it. */
export interface MessageSettled {
  readonly outcome: MessageOutcome;
  /** Event kind ('instance.delete', ...), 'other' for ignored types, 'unknown' when unparsable. */
  readonly kind: string;
  readonly eventType: string | null;
  readonly uniqueId: string | null;
}

export interface ConsumerEvents {
  state: [state: ConsumerState];
  message: [info: MessageSettled];
  applied: [envelope: EventEnvelope];
  ignored: [info: { eventType: string; envelope: EventEnvelope | null }];
  skipped_version: [info: UnsupportedVersion];
  duplicate: [envelope: EventEnvelope];
  retry: [info: { envelope: EventEnvelope; attempt: number; delayMs: number; error: unknown }];
  dead_lettered: [info: { reason: string; eventType: string | null; exchange: string; routingKey: string }];
  requeued: [info: { eventType: string | null; uniqueId: string | null }];
  connected: [info: { broker: string }];
  disconnected: [info: { broker: string; error: Error | null }];
  error: [error: Error];
}

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
  /** Deadline for the broker's confirm of a retry or dead-letter publish. @defaultValue 10000 */
  readonly publishTimeoutMs?: number;
}

/** A broker connection with its channel; deliveries remember which one they came from. */
interface Session {
  readonly model: ChannelModel;
  readonly channel: ConfirmChannel;
  readonly endpoint: AmqpEndpoint;
  readonly lost: Promise<Error | null>;
  consumerTag: string | null;
  alive: boolean;
}

interface Delivery {
  readonly msg: ConsumeMessage;
  readonly session: Session;
  readonly abort: AbortController;
  settled: boolean;
}

/** Errors that no reconnect will fix; at start-up they fail `start()` instead of being retried forever. */
function isConfigurationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  // 403 ACCESS_REFUSED (login or vhost permissions), 406 PRECONDITION_FAILED
  // (an exchange or queue already declared with other flags), 530 NOT_ALLOWED (vhost).
  return code === 403 || code === 406 || code === 530 || /ACCESS[-_]REFUSED|PRECONDITION[-_]FAILED|NOT[-_]ALLOWED/.test(message);
}

function eventKey(event: NovaEvent): string {
  return 'instance' in event ? `instance:${event.instance.instanceId}` : `fip:${event.floatingIp}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export class NotificationConsumer extends EventEmitter<ConsumerEvents> {
  private readonly config: Config['notifications'];
  private readonly handler: EventHandler;
  private readonly logger: Logger;
  private readonly endpoints: AmqpEndpoint[];
  private readonly connectionName: string;
  private readonly reconnectBackoff: BackoffOptions;
  private readonly connectTimeoutMs: number;
  private readonly heartbeatSeconds: number;
  private readonly publishTimeoutMs: number;
  private readonly recent: RecentIds;
  private readonly pendingIds = new Map<string, Promise<boolean>>();
  private readonly order = new KeyedQueue();
  private readonly deliveries = new Set<Delivery>();
  private readonly deliveryDone = new Set<() => void>();
  private readonly stopping = new AbortController();
  private readonly warnedVersions = new Set<string>();
  readonly metrics = new NotifyMetrics();

  private _state: ConsumerState = 'idle';
  private stateSince = Date.now();
  private session: Session | null = null;
  private started: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(opts: NotificationConsumerOptions) {
    super();
    this.config = opts.config;
    this.handler = opts.handler;
    this.logger = opts.logger;
    this.endpoints = parseTransportUrl(opts.url ?? opts.config.transportUrl);
    this.connectionName = opts.connectionName ?? `novajoin-notify ${hostname()} pid ${process.pid}`;
    this.reconnectBackoff = opts.reconnect ?? { initialMs: 1000, maxMs: 30_000 };
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.heartbeatSeconds = opts.heartbeatSeconds ?? 30;
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 10_000;
    this.recent = new RecentIds(opts.dedupWindow ?? 4096);
    if (this.config.exchanges.length === 0 || this.config.topics.length === 0) {
      throw new Error('notifications: at least one exchange and one topic are needed');
    }
  }

  get state(): ConsumerState {
    return this._state;
  }

  /** Messages whose handling has started and not yet been settled. */
  get inFlight(): number {
    return this.deliveries.size;
  }

  /** For the health file and /healthz. */
  status(): { state: ConsumerState; since: number; inFlight: number; broker: string | null } & MetricsSnapshot {
    return {
      state: this._state,
      since: this.stateSince,
      inFlight: this.inFlight,
      broker: this.session?.alive ? this.session.endpoint.display : null,
      ...this.metrics.snapshot(),
    };
  }

  renderMetrics(): string {
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
      this.loop = this.run(resolve, reject);
    });
    return this.started;
  }

  /** Stops consuming, drains, requeues what is left, closes. Safe to call repeatedly. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- connection

  private setState(state: ConsumerState): void {
    if (this._state === state) return;
    this._state = state;
    this.stateSince = Date.now();
    this.emit('state', state);
  }

  private async run(resolveStart: () => void, rejectStart: (err: Error) => void): Promise<void> {
    let failures = 0;
    let index = 0;
    let consumedOnce = false;
    while (!this.stopping.signal.aborted) {
      const endpoint = this.endpoints[index % this.endpoints.length] as AmqpEndpoint;
      this.setState('connecting');
      let session: Session;
      try {
        session = await this.openSession(endpoint);
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        if (!consumedOnce && isConfigurationError(err)) {
          this.logger.error('notification listener cannot start', { broker: endpoint.display, error: describe(err) });
          rejectStart(new Error(`notification listener cannot start on ${endpoint.display}: ${describe(err)}`, { cause: err }));
          void this.close();
          return;
        }
        failures += 1;
        index += 1; // the next broker of the list, round robin
        const delay = backoffDelay(failures, this.reconnectBackoff);
        this.logger.warn('cannot reach the message broker, will retry', { broker: endpoint.display, error: describe(err), retryInMs: delay });
        await sleep(delay, this.stopping.signal);
        continue;
      }
      if (this.stopping.signal.aborted) {
        // close() began while we were connecting, after it looked for a session to close.
        await closeQuietly(session);
        break;
      }
      failures = 0;
      if (consumedOnce) this.metrics.reconnects += 1;
      consumedOnce = true;
      resolveStart();
      const error = await session.lost;
      if (this.stopping.signal.aborted) break;
      this.setState('connecting');
      this.emit('disconnected', { broker: endpoint.display, error });
      this.logger.warn('lost the message broker connection, reconnecting', { broker: endpoint.display, error: error ? describe(error) : 'closed' });
      await sleep(backoffDelay(1, this.reconnectBackoff), this.stopping.signal);
    }
    resolveStart(); // closed before ever consuming: start() has nothing left to wait for
  }

  private async openSession(endpoint: AmqpEndpoint): Promise<Session> {
    const options: Options.Connect = { heartbeat: this.heartbeatSeconds, ...endpoint.options };
    const model = await connect(options, {
      timeout: this.connectTimeoutMs,
      clientProperties: { connection_name: this.connectionName },
    });
    let markLost!: (err: Error | null) => void;
    const lost = new Promise<Error | null>((resolve) => (markLost = resolve));
    let lastError: Error | null = null;
    let session: Session | null = null;
    const onLost = () => {
      if (session) session.alive = false;
      markLost(lastError);
    };
    // Without 'error' listeners an AMQP error would be thrown from an event
    // emitter and crash the process; the 'close' that follows is what counts.
    model.on('error', (err: Error) => (lastError = err));
    model.on('close', onLost);
    let channel: ConfirmChannel;
    try {
      channel = await model.createConfirmChannel();
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    const live: Session = { model, channel, endpoint, lost, consumerTag: null, alive: true };
    session = live;
    channel.on('error', (err: Error) => (lastError = err));
    // A channel closed by the broker (e.g. an ack for an unknown tag) leaves
    // the connection up; closing it too makes one reconnect path for both.
    channel.on('close', () => {
      onLost();
      model.close().catch(() => undefined);
    });
    try {
      await declareTopology(channel, this.config);
      await channel.prefetch(this.config.prefetch);
      this.setState('connected');
      if (this.stopping.signal.aborted) throw new Error('closing');
      const { consumerTag } = await channel.consume(this.config.queue, (msg) => this.onMessage(live, msg), { noAck: false });
      live.consumerTag = consumerTag;
    } catch (err) {
      live.alive = false;
      await model.close().catch(() => undefined);
      throw lastError ?? err;
    }
    this.session = live;
    this.setState('consuming');
    this.emit('connected', { broker: endpoint.display });
    this.logger.info('consuming notifications', {
      broker: endpoint.display,
      queue: this.config.queue,
      bindings: bindingKeys(this.config).map((b) => `${b.exchange}:${b.routingKey}`),
      prefetch: this.config.prefetch,
    });
    return live;
  }

  // ---------------------------------------------------------------- deliveries

  private onMessage(session: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (queue deleted): reconnect, which re-declares.
      this.logger.warn('the broker cancelled the consumer, reconnecting', { queue: this.config.queue });
      session.model.close().catch(() => undefined);
      return;
    }
    const delivery: Delivery = { msg, session, abort: new AbortController(), settled: false };
    this.deliveries.add(delivery);
    this.metrics.lastMessageAt = Date.now();
    this.process(delivery)
      .catch((err: unknown) => {
        // A bug of ours, not of the message: requeue rather than lose it.
        this.logger.error('notification processing failed', { error: describe(err) });
        this.requeue(delivery, null, null);
        this.emitError(err);
      })
      .finally(() => {
        this.deliveries.delete(delivery);
        for (const wake of this.deliveryDone) wake();
      });
  }

  private async process(d: Delivery): Promise<void> {
    let parsed: ParseResult;
    try {
      parsed = parseNotification(d.msg.content);
    } catch (err) {
      const reason = err instanceof PoisonMessage ? err.reason : `parser failed: ${describe(err)}`;
      await this.deadLetter(d, reason, 'unknown', null, null);
      return;
    }
    if (parsed.outcome === 'ignored') {
      this.logger.debug('ignoring notification', { eventType: parsed.message.eventType, messageId: parsed.message.messageId });
      this.ack(d, { outcome: 'ignored', kind: 'other', eventType: parsed.message.eventType, uniqueId: parsed.message.uniqueId });
      this.emit('ignored', { eventType: parsed.message.eventType, envelope: null });
      return;
    }
    if (parsed.outcome === 'unsupported_version') {
      this.skipVersion(d, parsed);
      return;
    }
    const envelope = parsed.envelope;
    const sent = parseOsloTimestamp(envelope.timestamp);
    if (sent !== null && attemptOf(d.msg) === 0) this.metrics.observeLag((Date.now() - sent) / 1000);

    const id = envelope.uniqueId;
    if (id !== null) {
      // The same message may be in flight already (redelivered after a
      // reconnect while the first copy is still being handled): wait for it.
      const pending = this.pendingIds.get(id);
      if (pending) await pending.catch(() => false);
      if (this.recent.has(id)) {
        this.logger.debug('duplicate notification', { eventType: envelope.eventType, uniqueId: id });
        this.ack(d, { outcome: 'duplicate', kind: envelope.event.kind, eventType: envelope.eventType, uniqueId: id });
        this.emit('duplicate', envelope);
        return;
      }
    }
    const work = this.order.run(eventKey(envelope.event), () => this.invoke(d, envelope));
    if (id !== null) {
      this.pendingIds.set(id, work);
      void work.finally(() => {
        if (this.pendingIds.get(id) === work) this.pendingIds.delete(id);
      }).catch(() => undefined);
    }
    await work;
  }

  private skipVersion(d: Delivery, parsed: UnsupportedVersion): void {
    const key = `${parsed.message.eventType} ${parsed.payloadName} ${parsed.version}`;
    const fields = {
      eventType: parsed.message.eventType,
      payload: parsed.payloadName,
      version: parsed.version,
      supported: parsed.supported,
      messageId: parsed.message.messageId,
    };
    // Once at warn per (event, payload, version): a Nova upgrade would otherwise log every message.
    if (this.warnedVersions.has(key)) this.logger.debug('skipping notification with an unsupported payload version', fields);
    else this.logger.warn('skipping notification with an unsupported payload version', fields);
    this.warnedVersions.add(key);
    this.ack(d, { outcome: 'skipped_version', kind: 'unsupported', eventType: parsed.message.eventType, uniqueId: parsed.message.uniqueId });
    this.emit('skipped_version', parsed);
  }

  /** Runs the handler; true when the work is done (whether or not the ack could still be sent). */
  private async invoke(d: Delivery, envelope: EventEnvelope): Promise<boolean> {
    const kind = envelope.event.kind;
    if (this.closing || !d.session.alive) {
      // Draining: start no new work; the message goes back to the queue.
      this.requeue(d, envelope.eventType, envelope.uniqueId);
      return false;
    }
    const attempt = attemptOf(d.msg);
    let result: 'applied' | 'ignored';
    try {
      result = await this.handler.handle(envelope, { signal: d.abort.signal, attempt, redelivered: d.msg.fields.redelivered });
    } catch (err) {
      if (d.settled) return false;
      if (isTransient(err)) await this.retryLater(d, envelope, err, attempt + 1);
      else await this.deadLetter(d, `handler: ${describe(err)}`, kind, envelope.eventType, envelope.uniqueId);
      return false;
    }
    if (envelope.uniqueId !== null) this.recent.add(envelope.uniqueId);
    this.ack(d, { outcome: result, kind, eventType: envelope.eventType, uniqueId: envelope.uniqueId });
    if (result === 'applied') this.emit('applied', envelope);
    else this.emit('ignored', { eventType: envelope.eventType, envelope });
    return true;
  }

  private ack(d: Delivery, info: MessageSettled): void {
    if (d.settled) return;
    d.settled = true;
    // On a dead session there is nothing to ack: the broker redelivers, and
    // the _unique_id window turns the redelivery into a duplicate.
    if (d.session.alive) {
      try {
        d.session.channel.ack(d.msg);
      } catch (err) {
        this.logger.warn('could not ack a notification', { error: describe(err) });
      }
    }
    this.settle(info);
  }

  private requeue(d: Delivery, eventType: string | null, uniqueId: string | null): void {
    if (d.settled) return;
    d.settled = true;
    d.abort.abort();
    if (d.session.alive) {
      try {
        d.session.channel.nack(d.msg, false, true);
      } catch (err) {
        this.logger.warn('could not requeue a notification', { error: describe(err) });
      }
    }
    this.settle({ outcome: 'requeued', kind: 'unknown', eventType, uniqueId });
    this.emit('requeued', { eventType, uniqueId });
  }

  private settle(info: MessageSettled): void {
    this.metrics.count(info.kind, info.outcome);
    this.emit('message', info);
  }

  private async retryLater(d: Delivery, envelope: EventEnvelope, error: unknown, attempt: number): Promise<void> {
    const backoff = { initialMs: this.config.retryInitialMs, maxMs: this.config.retryMaxMs };
    const level = Math.round(baseDelay(attempt, backoff));
    const delayMs = backoffDelay(attempt, backoff);
    const options = copyOptions(
      d.msg,
      { [HEADER.attempt]: attempt, [HEADER.lastError]: headerText(describe(error)) },
      { expiration: String(delayMs) },
    );
    const ok = await this.publish(d.session, retryQueueName(this.config.queue, level), d.msg.content, options);
    if (!ok) {
      this.requeue(d, envelope.eventType, envelope.uniqueId);
      return;
    }
    const fields = { eventType: envelope.eventType, uniqueId: envelope.uniqueId, attempt, retryInMs: delayMs, error: describe(error) };
    if (attempt === 1) this.logger.warn('transient failure, will retry', fields);
    else this.logger.info('transient failure, will retry', fields);
    this.ack(d, { outcome: 'retried', kind: envelope.event.kind, eventType: envelope.eventType, uniqueId: envelope.uniqueId });
    this.emit('retry', { envelope, attempt, delayMs, error });
  }

  private async deadLetter(d: Delivery, reason: string, kind: string, eventType: string | null, uniqueId: string | null): Promise<void> {
    if (d.settled) return;
    const origin = originOf(d.msg);
    const text = headerText(reason);
    const options = copyOptions(d.msg, {
      [HEADER.reason]: text,
      [HEADER.attempt]: attemptOf(d.msg),
      [HEADER.failedAt]: new Date().toISOString(),
    });
    const ok = await this.publish(d.session, this.config.deadLetterQueue, d.msg.content, options);
    if (!ok) {
      this.logger.error('could not dead-letter a notification, requeueing it', { reason: text, eventType });
      this.requeue(d, eventType, uniqueId);
      return;
    }
    this.logger.warn('notification dead-lettered', { reason: text, eventType, uniqueId, ...origin, queue: this.config.deadLetterQueue });
    this.ack(d, { outcome: 'dead_lettered', kind, eventType, uniqueId });
    this.emit('dead_lettered', { reason: text, eventType, ...origin });
  }

  /** Publishes through the default exchange to `queue`; true once the broker confirmed it. */
  private publish(session: Session, queue: string, content: Buffer, options: Options.Publish): Promise<boolean> {
    if (!session.alive) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.publishTimeoutMs);
      try {
        session.channel.publish('', queue, content, options, (err) => {
          clearTimeout(timer);
          resolve(!err);
        });
      } catch {
        clearTimeout(timer);
        resolve(false);
      }
    });
  }

  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  // ---------------------------------------------------------------- shutdown

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

  private async shutdown(): Promise<void> {
    const wasRunning = this._state !== 'idle';
    this.stopping.abort();
    this.setState('draining');
    const session = this.session;
    const steps: Array<[string, () => Promise<void>]> = [
      ['cancel the consumer', async () => {
        if (session?.alive && session.consumerTag) await withTimeout(session.channel.cancel(session.consumerTag), this.publishTimeoutMs);
      }],
      ['drain', () => this.whenIdle(this.config.drainTimeoutMs)],
      ['requeue what is left', async () => {
        const left = [...this.deliveries];
        if (left.length > 0) this.logger.warn('drain timeout: requeueing notifications still in flight', { count: left.length });
        for (const d of left) this.requeue(d, null, null);
      }],
      ['close the channel', async () => {
        if (session?.alive) await withTimeout(session.channel.close(), this.publishTimeoutMs);
      }],
      ['close the connection', async () => {
        if (session?.alive) await withTimeout(session.model.close(), this.publishTimeoutMs);
      }],
      ['stop the connection loop', async () => {
        await this.loop;
      }],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        if (session) session.alive = false;
        this.logger.debug(`close: could not ${what}`, { error: describe(err) });
      }
    }
    if (session) session.alive = false;
    this.setState('stopped');
    if (wasRunning) this.logger.info('notification listener stopped', { inFlightLeft: this.deliveries.size });
  }
}

async function closeQuietly(session: Session): Promise<void> {
  session.alive = false;
  await withTimeout(session.model.close(), 5000).catch(() => undefined);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
