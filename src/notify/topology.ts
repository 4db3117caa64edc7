import type { Channel, Options } from 'amqplib';
import { backoffLevels } from './backoff.js';

/**
 * Everything the listener declares, re-declared after every reconnect (as
 * oslo's consumers do, nova-wire.md 3.7).
 *
 * Nova's and Neutron's notifier (oslo.messaging's rabbit driver) declares, on
 * its first publish of each priority, a queue named `<topic>.<priority>`
 * bound with that routing key on its own exchange, "not to miss
 * notifications": whoever uses the topic must drain that queue, or it grows
 * until RabbitMQ's memory or disk alarm blocks every publisher of the cloud.
 * So the listener reads exactly those queues (oslo's pool-less listener does
 * the same), and declares them, and the exchanges, with oslo's own arguments
 * for the configured settings: RabbitMQ refuses (406 PRECONDITION_FAILED) a
 * re-declare with other flags, and whichever of Nova or the listener comes
 * second would fail. Several listeners share the queues as competing
 * consumers; nobody else reads our topic.
 *
 * The listener's own queues (the delay queues of retries and the dead-letter
 * queue) are always durable, classic or quorum as configured.
 */
export type QueueType = 'classic' | 'quorum';

export interface TopologyOptions {
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  readonly priorities: readonly string[];
  /** oslo's `amqp_durable_queues` of the publishers. */
  readonly exchangeDurable: boolean;
  /** `quorum` when the publishers have oslo's `rabbit_quorum_queue`. */
  readonly queueType: QueueType;
  readonly deadLetterQueue: string;
  readonly retryQueuePrefix: string;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

export { OSLO_PRIORITIES } from '../config/defaults.js';

/** oslo's rule (impl_rabbit.py `durable`): quorum queues imply durable exchanges and queues. */
export function osloDurable(o: Pick<TopologyOptions, 'exchangeDurable' | 'queueType'>): boolean {
  return o.exchangeDurable || o.queueType === 'quorum';
}

/** As `notify_send` declares the exchange: topic, durable per the rule above, auto_delete false. */
export function osloExchangeOptions(o: Pick<TopologyOptions, 'exchangeDurable' | 'queueType'>): Options.AssertExchange {
  return { durable: osloDurable(o), autoDelete: false };
}

/** As `_publish_and_creates_default_queue` declares `<topic>.<priority>`: the exchange's flags, `x-queue-type` for quorum, no TTL. */
export function osloQueueOptions(o: Pick<TopologyOptions, 'exchangeDurable' | 'queueType'>): Options.AssertQueue {
  return { durable: osloDurable(o), autoDelete: false, exclusive: false, arguments: o.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {} };
}

export interface Binding {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
}

/** The queues oslo's publishers fill for our topics and priorities: the ones we consume. */
export function consumedQueues(o: Pick<TopologyOptions, 'topics' | 'priorities'>): string[] {
  return o.topics.flatMap((topic) => o.priorities.map((priority) => `${topic}.${priority}`));
}

export function bindings(o: Pick<TopologyOptions, 'topics' | 'priorities' | 'exchanges'>): Binding[] {
  return consumedQueues(o).flatMap((queue) => o.exchanges.map((exchange) => ({ queue, exchange, routingKey: queue })));
}

/** Where a retried message comes back: the first topic's INFO queue (or its first priority). */
export function retryTarget(o: Pick<TopologyOptions, 'topics' | 'priorities'>): string {
  const priority = o.priorities.includes('info') ? 'info' : o.priorities[0];
  return `${o.topics[0]}.${priority}`;
}

export function retryQueueName(prefix: string, delayMs: number): string {
  return `${prefix}.retry.${delayMs}`;
}

/** Retry levels in ms, from retry_initial doubling up to retry_max. */
export function retryLevels(options: Pick<TopologyOptions, 'retryInitialMs' | 'retryMaxMs'>): number[] {
  return backoffLevels({ initialMs: Math.max(1, options.retryInitialMs), maxMs: Math.max(1, options.retryMaxMs) });
}

export function retryQueueNames(o: TopologyOptions): string[] {
  return retryLevels(o).map((level) => retryQueueName(o.retryQueuePrefix, level));
}

/** The dead-letter queue: durable; filled by confirmed publishes, so it needs no dead-lettering of its own. */
export function deadLetterQueueOptions(o: Pick<TopologyOptions, 'queueType'>): Options.AssertQueue {
  return { durable: true, autoDelete: false, arguments: o.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {} };
}

/**
 * A delay queue: expired messages go back to the retry target through the
 * default exchange. A quorum queue dead-letters at-least-once (RabbitMQ 3.10+),
 * which RabbitMQ allows only with `overflow: reject-publish`; a classic queue
 * dead-letters at most once, RabbitMQ has nothing better for it.
 */
export function retryQueueOptions(o: TopologyOptions): Options.AssertQueue {
  const args: Record<string, unknown> = { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': retryTarget(o) };
  if (o.queueType === 'quorum') Object.assign(args, { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' });
  return { durable: true, autoDelete: false, arguments: args };
}

export async function declareTopology(channel: Channel, o: TopologyOptions): Promise<void> {
  for (const exchange of o.exchanges) await channel.assertExchange(exchange, 'topic', osloExchangeOptions(o));
  await channel.assertQueue(o.deadLetterQueue, deadLetterQueueOptions(o));
  for (const queue of consumedQueues(o)) await channel.assertQueue(queue, osloQueueOptions(o));
  for (const { queue, exchange, routingKey } of bindings(o)) await channel.bindQueue(queue, exchange, routingKey);
  for (const name of retryQueueNames(o)) await channel.assertQueue(name, retryQueueOptions(o));
}
