import type { ConsumeMessage } from 'amqplib';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, baseDelay } from './backoff.js';
import { describeError, type Emit, type MessageSettled } from './consumer-events.js';
import { RecentIds } from './dedup.js';
import { parseOsloTimestamp } from './envelope.js';
import { isTransient, PoisonMessage } from './errors.js';
import { KeyedQueue } from './keyed-queue.js';
import type { NotifyMetrics } from './metrics.js';
import { parseNotification, type ParseResult, type UnsupportedVersion } from './parse.js';
import { attemptOf, copyOptions, HEADER, headerText, originOf } from './republish.js';
import { publishConfirmed, type Session } from './session.js';
import { retryQueueName } from './topology.js';
import type { EventEnvelope, EventHandler, NovaEvent } from './types.js';

/**
 * What happens to one delivered message (design B5): parse; ignore, skip or
 * dead-letter what cannot be applied; drop duplicates; run the handler, one
 * message at a time per instance; then ack, retry later, or dead-letter. A
 * message is settled exactly once (`settled`), whichever comes first: the
 * outcome, a drain timeout, or the loss of its session.
 */
export interface Delivery {
  readonly msg: ConsumeMessage;
  readonly session: Session;
  readonly abort: AbortController;
  settled: boolean;
}

export interface PipelineOptions {
  readonly config: Config['notifications'];
  readonly handler: EventHandler;
  readonly logger: Logger;
  readonly metrics: NotifyMetrics;
  readonly emit: Emit;
  readonly dedupWindow: number;
  readonly publishTimeoutMs: number;
  /** True once close() began: no new handler call starts. */
  readonly isClosing: () => boolean;
}

function orderKey(event: NovaEvent): string {
  if ('instance' in event) return `instance:${event.instance.instanceId}`;
  if (event.kind === 'port.delete') return event.deviceId ? `instance:${event.deviceId}` : 'port';
  return `fip:${event.floatingIp ?? ''}`;
}

export class DeliveryPipeline {
  private readonly recent: RecentIds;
  /** `_unique_id` -> the handling of the copy in flight (true when it was done). */
  private readonly pendingIds = new Map<string, Promise<boolean>>();
  private readonly order = new KeyedQueue();
  /** (event, payload, version) already warned about; bounded, as forged messages can name endless versions. */
  private readonly warnedVersions = new RecentIds(256);

  constructor(private readonly o: PipelineOptions) {
    this.recent = new RecentIds(o.dedupWindow);
  }

  async process(d: Delivery): Promise<void> {
    let parsed: ParseResult;
    try {
      parsed = parseNotification(d.msg.content);
    } catch (err) {
      const reason = err instanceof PoisonMessage ? err.reason : `parser failed: ${describeError(err)}`;
      await this.deadLetter(d, reason, 'unknown', null, null);
      return;
    }
    if (parsed.outcome === 'ignored') {
      const { eventType, messageId, uniqueId } = parsed.message;
      this.o.logger.debug('ignoring notification', { eventType, messageId });
      this.ack(d, { outcome: 'ignored', kind: 'other', eventType, uniqueId });
      this.o.emit('ignored', { eventType, envelope: null });
      return;
    }
    if (parsed.outcome === 'unsupported_version') {
      this.skipVersion(d, parsed);
      return;
    }
    const envelope = parsed.envelope;
    const sent = parseOsloTimestamp(envelope.timestamp);
    if (sent !== null && attemptOf(d.msg) === 0) this.o.metrics.observeLag((Date.now() - sent) / 1000);

    const id = envelope.uniqueId;
    if (id !== null) {
      // The same message may be in flight already (redelivered after a
      // reconnect while the first copy is still being handled): wait for it.
      const pending = this.pendingIds.get(id);
      if (pending) await pending.catch(() => false);
      if (this.recent.has(id)) {
        this.o.logger.debug('duplicate notification', { eventType: envelope.eventType, uniqueId: id });
        this.ack(d, { outcome: 'duplicate', kind: envelope.event.kind, eventType: envelope.eventType, uniqueId: id });
        this.o.emit('duplicate', envelope);
        return;
      }
    }
    const work = this.order.run(orderKey(envelope.event), () => this.invoke(d, envelope));
    if (id !== null) {
      this.pendingIds.set(id, work);
      void work
        .finally(() => {
          if (this.pendingIds.get(id) === work) this.pendingIds.delete(id);
        })
        .catch(() => undefined);
    }
    await work;
  }

  /** Gives the message back to the broker (drain timeout, shutdown, or a publish that failed). */
  requeue(d: Delivery, eventType: string | null, uniqueId: string | null): void {
    if (d.settled) return;
    d.settled = true;
    d.abort.abort();
    if (d.session.alive) {
      try {
        d.session.channel.nack(d.msg, false, true);
      } catch (err) {
        this.o.logger.warn('could not requeue a notification', { error: describeError(err) });
      }
    }
    this.settle({ outcome: 'requeued', kind: 'unknown', eventType, uniqueId });
    this.o.emit('requeued', { eventType, uniqueId });
  }

  private skipVersion(d: Delivery, parsed: UnsupportedVersion): void {
    const { eventType, messageId, uniqueId } = parsed.message;
    const key = `${eventType} ${parsed.payloadName} ${parsed.version}`;
    const fields = { eventType, payload: parsed.payloadName, version: parsed.version, supported: parsed.supported, messageId };
    // Once at warn per (event, payload, version): after a Nova upgrade every message would warn.
    if (this.warnedVersions.has(key)) this.o.logger.debug('skipping notification with an unsupported payload version', fields);
    else this.o.logger.warn('skipping notification with an unsupported payload version', fields);
    this.warnedVersions.add(key);
    this.ack(d, { outcome: 'skipped_version', kind: 'unsupported', eventType, uniqueId });
    this.o.emit('skipped_version', parsed);
  }

  /** Runs the handler; true when the work was done (whether or not the ack could still be sent). */
  private async invoke(d: Delivery, envelope: EventEnvelope): Promise<boolean> {
    const kind = envelope.event.kind;
    if (this.o.isClosing() || !d.session.alive) {
      // Draining, or the session died while this waited its turn: start no new work.
      this.requeue(d, envelope.eventType, envelope.uniqueId);
      return false;
    }
    const attempt = attemptOf(d.msg);
    let result: 'applied' | 'ignored';
    try {
      result = await this.o.handler.handle(envelope, { signal: d.abort.signal, attempt, redelivered: d.msg.fields.redelivered });
    } catch (err) {
      if (d.settled) return false;
      if (isTransient(err)) await this.retryLater(d, envelope, err, attempt + 1);
      else await this.deadLetter(d, `handler: ${describeError(err)}`, kind, envelope.eventType, envelope.uniqueId);
      return false;
    }
    if (envelope.uniqueId !== null) this.recent.add(envelope.uniqueId);
    this.ack(d, { outcome: result, kind, eventType: envelope.eventType, uniqueId: envelope.uniqueId });
    if (result === 'applied') this.o.emit('applied', envelope);
    else this.o.emit('ignored', { eventType: envelope.eventType, envelope });
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
        this.o.logger.warn('could not ack a notification', { error: describeError(err) });
      }
    }
    this.settle(info);
  }

  private settle(info: MessageSettled): void {
    this.o.metrics.count(info.kind, info.outcome);
    this.o.emit('message', info);
  }

  /** Republishes to the delay queue of this attempt's backoff level (see consumer.ts), then acks. */
  private async retryLater(d: Delivery, envelope: EventEnvelope, error: unknown, attempt: number): Promise<void> {
    const { config } = this.o;
    const backoff = { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs };
    const level = Math.round(baseDelay(attempt, backoff));
    const delayMs = backoffDelay(attempt, backoff);
    const options = copyOptions(
      d.msg,
      { [HEADER.attempt]: attempt, [HEADER.lastError]: headerText(describeError(error)) },
      { expiration: String(delayMs) },
    );
    const queue = retryQueueName(config.retryQueuePrefix, level);
    if (!(await publishConfirmed(d.session, queue, d.msg.content, options, this.o.publishTimeoutMs))) {
      this.requeue(d, envelope.eventType, envelope.uniqueId);
      return;
    }
    const fields = { eventType: envelope.eventType, uniqueId: envelope.uniqueId, attempt, retryInMs: delayMs, error: describeError(error) };
    // The first failure of a message is news; the following ones are the backoff doing its job.
    if (attempt === 1) this.o.logger.warn('transient failure, will retry', fields);
    else this.o.logger.info('transient failure, will retry', fields);
    this.ack(d, { outcome: 'retried', kind: envelope.event.kind, eventType: envelope.eventType, uniqueId: envelope.uniqueId });
    this.o.emit('retry', { envelope, attempt, delayMs, error });
  }

  private async deadLetter(d: Delivery, reason: string, kind: string, eventType: string | null, uniqueId: string | null): Promise<void> {
    if (d.settled) return;
    const origin = originOf(d.msg);
    const text = headerText(reason);
    const options = copyOptions(d.msg, {
      [HEADER.reason]: text,
      [HEADER.attempt]: attemptOf(d.msg),
      [HEADER.failedAt]: new Date().toISOString(),
      ...(eventType ? { [HEADER.eventType]: headerText(eventType) } : {}),
      ...(uniqueId ? { [HEADER.messageId]: headerText(uniqueId) } : {}),
    });
    const queue = this.o.config.deadLetterQueue;
    if (!(await publishConfirmed(d.session, queue, d.msg.content, options, this.o.publishTimeoutMs))) {
      this.o.logger.error('could not dead-letter a notification, requeueing it', { reason: text, eventType });
      this.requeue(d, eventType, uniqueId);
      return;
    }
    this.o.logger.warn('notification dead-lettered', { reason: text, eventType, uniqueId, ...origin, queue });
    this.ack(d, { outcome: 'dead_lettered', kind, eventType, uniqueId });
    this.o.emit('dead_lettered', { reason: text, eventType, ...origin });
  }
}
